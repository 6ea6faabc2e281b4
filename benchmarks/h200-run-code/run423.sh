#!/bin/bash
# Thirty-eighth session (omnimoe-n: 3dc71c5, the final rule: deep narrow GEMVs grouped at 4, 6, 7 and 8
# rows): gpu_gemm, gpu_layer; the rule at points not measured before (I = 8192 at 7,
# I = 32768 at 6, against OMNIMOE_GEMV_NARROW=off) and the final build's figures at others.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-n gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r423; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r423.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-n bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
for s in 16384:3 16384:4 16384:5 16384:6 16384:8 4096:4 4096:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-final X=1 --tokens $t --intermediate $i
done
for s in 8192:7 32768:6; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-final X=1 --tokens $t --intermediate $i
  run i$i-t$t-off OMNIMOE_GEMV_NARROW=off --tokens $t --intermediate $i
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
