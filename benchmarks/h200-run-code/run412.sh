#!/bin/bash
# Thirty-seventh session (omnimoe-f: HEAD 92eae04). Does the GEMV's L1 traffic for A's rows hold it back at
# several rows? The GEMV with the weights in K slabs and neighbouring invocations on neighbouring columns
# (SLABS: a subgroup's lanes read few distinct chunks of A) against rows (lanes along a column: each lane
# its own chunk of A), f16, OMNIMOE_NO_COOP=1 for slabs (the SIMT build's layout), with OMNIMOE_NO_SLABS=1
# too for rows on the same build; beside the default build. One round, per layer of a stack of 4,
# OMNIMOE_SKINNY=off (the GEMV up to 8 rows).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r412; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r412.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env OMNIMOE_SKINNY=off $aid ./omnimoe-f bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in i4096:4 i4096:6 i4096:8 i16384:4 i16384:6 i16384:8; do
  i=${s%:*}; i=${i#i}; t=${s#*:}
  run i$i-t$t-base X=1 --tokens $t --intermediate $i
  run i$i-t$t-slabs OMNIMOE_NO_COOP=1 --tokens $t --intermediate $i
  run i$i-t$t-rows "OMNIMOE_NO_COOP=1 OMNIMOE_NO_SLABS=1" --tokens $t --intermediate $i
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
