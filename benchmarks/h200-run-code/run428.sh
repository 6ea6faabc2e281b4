#!/bin/bash
# Thirty-ninth session (omnimoe-q, f2d3b4e: the QUAD GEMV's lane sums two blocks at a time): four columns
# a group at 5-7 rows now that they reduce faster (OMNIMOE_GEMV_QUAD=1|2 wherever two would be; the deep
# down GEMV's ranges on four, OMNIMOE_GEMV_NARROW=4:64), against the rule; gpu_layer and gpu_prepared of
# the final code.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-q gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r428; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r428.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-q bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:6 4096:7 8192:6 8192:7 16384:5 16384:6 16384:7; do
  i=${s%:*}; t=${s#*:}
  for c in rule:X=1 q2:OMNIMOE_GEMV_QUAD=2 q1:OMNIMOE_GEMV_QUAD=1; do
    run i$i-t$t-${c%%:*} "${c#*:}" --tokens $t --intermediate $i
  done
done
for s in 8192:6 8192:7 16384:6 16384:7; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-n4 OMNIMOE_GEMV_NARROW=4:64 --tokens $t --intermediate $i
done
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
