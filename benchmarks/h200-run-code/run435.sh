#!/bin/bash
# Fortieth session: four columns a group in rounds of four chunks a column (omnimoe-j: QUAD_ROUND = 4 in
# gemv/quad.wgsl behind the aids `OMNIMOE_GEMV_QUAD=4` for the gate/up GEMV and
# `OMNIMOE_GEMV_RANGE_ROUND=4` for the deep down GEMV's ranges; the same bits) beside as built (5c40e38).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-j; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r435; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r435.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-j bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:6 4096:7 4096:8 16384:6 16384:7 16384:8 8192:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-base X=1 --tokens $t --intermediate $i
  run i$i-t$t-q4 OMNIMOE_GEMV_QUAD=4 --tokens $t --intermediate $i
done
for s in 16384:5 16384:6 16384:7 16384:8 8192:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-rr4 OMNIMOE_GEMV_RANGE_ROUND=4 --tokens $t --intermediate $i
done
run i16384-t5-base X=1 --tokens 5 --intermediate 16384
grep -E "^(==|rc=)" $L | grep -E "rc=[1-9]" -B1 | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
