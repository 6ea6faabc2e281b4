#!/bin/bash
# Thirty-seventh session (omnimoe-g: 92eae04 + the GEMV split over K, SPLITK, by OMNIMOE_GEMV_SPLIT=S for a
# narrow GEMV of 2-8 rows; OMNIMOE_SKINNY_DOWN_FROM=D: the down projection on the skinny kernel from D
# rows). One round, per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-g; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r413; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r413.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-g bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for t in 4 5 6; do
  for c in base:X=1 s2:OMNIMOE_GEMV_SPLIT=2 s4:OMNIMOE_GEMV_SPLIT=4 s4p:"OMNIMOE_GEMV_SPLIT=4 OMNIMOE_GEMV_PAIR=all" skd:OMNIMOE_SKINNY_DOWN_FROM=2; do
    run i4096-t$t-${c%%:*} "${c#*:}" --tokens $t
  done
done
for s in i16384:5 i16384:6 i16384:8 i32768:8; do
  i=${s%:*}; i=${i#i}; t=${s#*:}
  for c in base:X=1 s2:OMNIMOE_GEMV_SPLIT=2 s4:OMNIMOE_GEMV_SPLIT=4 s2p:"OMNIMOE_GEMV_SPLIT=2 OMNIMOE_GEMV_PAIR=all"; do
    run i$i-t$t-${c%%:*} "${c#*:}" --tokens $t --intermediate $i
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
