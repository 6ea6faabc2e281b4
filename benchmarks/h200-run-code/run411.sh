#!/bin/bash
# Thirty-sixth session (omnimoe-e: the final build with gemv_deep_lanes256.diff, OMNIMOE_GEMV_DEEP_LANES=256: a
# deep, narrow GEMV on 128 lanes a column, the down projection from I = 16384, on 256 instead, one
# column a workgroup: twice the workgroups), beside the build, two rounds, per layer of a stack of 4:
# I = 16384 at 1, 5, 6, 8 tokens, I = 32768 at 1 and 8.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-e; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r411; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r411.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-e bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for r in 1 2; do
  for s in i16384:1 i16384:5 i16384:6 i16384:8 i32768:1 i32768:8; do
    i=${s%:*}; i=${i#i}; t=${s#*:}
    run i$i-t$t-base-r$r X=1 --tokens $t --intermediate $i
    run i$i-t$t-l256-r$r OMNIMOE_GEMV_DEEP_LANES=256 --tokens $t --intermediate $i
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
