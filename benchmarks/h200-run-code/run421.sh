#!/bin/bash
# Thirty-eighth session (omnimoe-m: bc45ca5): deep narrow GEMVs in four K ranges of two / four columns a
# group (the rule) against OMNIMOE_GEMV_NARROW=off (two ranges of one column, as before) over I and
# tokens, a few alternatives; gpu_gemm, gpu_layer, gpu_prepared; the token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-m gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r421; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r421.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-m bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 8192:2 8192:4 8192:6 8192:8 16384:2 16384:3 16384:5 16384:6 16384:7 16384:8 32768:4 32768:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-rule X=1 --tokens $t --intermediate $i
  run i$i-t$t-off OMNIMOE_GEMV_NARROW=off --tokens $t --intermediate $i
done
run i16384-t6-q64 OMNIMOE_GEMV_NARROW=4:64 --tokens 6 --intermediate 16384
run i16384-t7-q64 OMNIMOE_GEMV_NARROW=4:64 --tokens 7 --intermediate 16384
run i8192-t4-q64 OMNIMOE_GEMV_NARROW=4:64 --tokens 4 --intermediate 8192
run i8192-t8-p64 OMNIMOE_GEMV_NARROW=2:64 --tokens 8 --intermediate 8192
run i32768-t8-s8 OMNIMOE_GEMV_SPLIT=8 --tokens 8 --intermediate 32768
run i32768-t4-s8 OMNIMOE_GEMV_SPLIT=8 --tokens 4 --intermediate 32768
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b sweep ./omnimoe-m bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
