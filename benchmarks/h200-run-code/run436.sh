#!/bin/bash
# Fortieth session, the final build (omnimoe-k, 5c40e38: a deep narrow GEMV's ranges on four columns a
# group in rounds of two from 6 rows, from 5 at 2048 chunks): a few points, the gate/up GEMV at 8 rows
# with its weights in rows rather than K slabs (`OMNIMOE_NO_SLABS`), gpu_gemm and gpu_layer.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-k gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r436; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r436.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-k bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:8 16384:8 16384:5 8192:5 8192:6; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t X=1 --tokens $t --intermediate $i
done
run i4096-t8-rows OMNIMOE_NO_SLABS=1 --tokens 8 --intermediate 4096
run i16384-t8-rows OMNIMOE_NO_SLABS=1 --tokens 8 --intermediate 16384
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
