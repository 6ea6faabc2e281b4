#!/bin/bash
# Thirty-sixth session: four columns a group in the GEMV (gemv_quad.diff of 2984328 applied: OMNIMOE_GEMV_QUAD=1 or
# 2, rounds of one or two chunks a column; with PAIR and FMA) beside two columns a group (q0), two rounds,
# per layer of a stack of 4: the README's layer at 4–6 tokens, at 7–8 with the GEMV (OMNIMOE_SKINNY=off)
# beside the skinny kernel; I = 16384 at 4, 5, 6, 8; the down GEMV paired too (OMNIMOE_GEMV_PAIR=all) at
# 5–6; then gpu_gemm's GEMV tests with each QUAD round.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-q gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r407; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r407.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-q bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for r in 1 2; do
  for t in 4 5 6; do
    for q in 0 1 2; do run t$t-q$q-r$r OMNIMOE_GEMV_QUAD=$q --tokens $t; done
  done
  for t in 5 6; do run t$t-pairall-r$r OMNIMOE_GEMV_PAIR=all --tokens $t; done
  for t in 7 8; do
    run t$t-skinny-r$r X=1 --tokens $t
    for q in 0 1 2; do run t$t-gemv-q$q-r$r "OMNIMOE_SKINNY=off OMNIMOE_GEMV_QUAD=$q" --tokens $t; done
  done
  for t in 4 5 6 8; do
    for q in 0 1 2; do run i16384-t$t-q$q-r$r OMNIMOE_GEMV_QUAD=$q --tokens $t --intermediate 16384; done
  done
done
for q in 1 2; do b "gemm quad $q" env OMNIMOE_GEMV_QUAD=$q ./gpu_gemm gemv --test-threads 4; done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
