#!/bin/bash
# Thirty-fifth session, a candidate build (omnimoe-i: the GEMV to 6 tokens at any width, SKINNY_FROM_M
# 6 → 7; the PAIR GEMV in rounds of one chunk from 6 rows): gpu_gemm and gpu_layer; then two rounds,
# per layer of a stack of 4: the README's layer and I = 8192 at 6 tokens on the candidate (GEMV, rounds of
# one), the GEMV in rounds of two (OMNIMOE_GEMV_PAIR_ROUND=2) and the skinny kernel (OMNIMOE_SKINNY=all);
# I = 16384 at 6, 7, 8 on the candidate and in rounds of two.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-i gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r406; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r406.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-i bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for t in gpu_gemm gpu_layer; do b "test $t" ./$t --test-threads 4; done
for r in 1 2; do
  for i in 4096 8192; do
    run i$i-t6-cand-r$r X=1 --tokens 6 --intermediate $i
    run i$i-t6-round2-r$r OMNIMOE_GEMV_PAIR_ROUND=2 --tokens 6 --intermediate $i
    run i$i-t6-skinny-r$r OMNIMOE_SKINNY=all --tokens 6 --intermediate $i
  done
  for t in 6 7 8; do
    run i16384-t$t-cand-r$r X=1 --tokens $t --intermediate 16384
    run i16384-t$t-round2-r$r OMNIMOE_GEMV_PAIR_ROUND=2 --tokens $t --intermediate 16384
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
