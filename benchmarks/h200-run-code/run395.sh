#!/bin/bash
# Thirty-fourth session: why the GEMV slows from 5 rows. pipeline_stats of the GEMV's builds (registers,
# PAIR and not, 2 / 5 / 8 rows, PAIR_ROUND 2); per layer of a stack of 4 (gemm_stream: each GEMM alone)
# on the GEMV (OMNIMOE_SKINNY=off) at 5, 6, 8 tokens (I = 4096) and 5, 8 (I = 16384): PAIR by rule,
# OMNIMOE_GEMV_PAIR_ROUND=2, OMNIMOE_GEMV_PAIR=off; the down GEMV on PAIR with twice the lanes
# (OMNIMOE_GEMV_PAIR=double) at 3, 4, 6, 8 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-r pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r395; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r395.tgz .; }
B() { n=$1; v=$2; shift 2; b "$n" env X=1 $v ./omnimoe-r bench --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
b "pipeline_stats gemv" sh -c "./pipeline_stats gemv > $R/stats-gemv.txt"
for i in 4096 16384; do
  for t in 5 6 8; do
    [ $i = 16384 ] && [ $t = 6 ] && continue
    B i$i-t$t-pair "OMNIMOE_SKINNY=off" --dtype f16 --tokens $t --intermediate $i
    B i$i-t$t-round2 "OMNIMOE_SKINNY=off OMNIMOE_GEMV_PAIR_ROUND=2" --dtype f16 --tokens $t --intermediate $i
    B i$i-t$t-off "OMNIMOE_SKINNY=off OMNIMOE_GEMV_PAIR=off" --dtype f16 --tokens $t --intermediate $i
  done
done
for t in 3 4 6 8; do B i4096-t$t-double "OMNIMOE_SKINNY=off OMNIMOE_GEMV_PAIR=double" --dtype f16 --tokens $t; done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
grep -E "ROWS|PAIR" $R/stats-gemv.txt | grep -v COLS | grep -iE "f16" | grep -E "VEC8" | head -40
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
