#!/bin/bash
# Thirty-sixth session, a candidate build (omnimoe-c: four columns a group, rounds of two chunks, for a
# PAIR GEMV with FMA from 6 rows where that leaves 512 workgroups or more: a wide layer's gate/up GEMV):
# gpu_gemm and gpu_layer; then two rounds, per layer of a stack of 4: I = 16384 at 5–8 tokens and
# I = 32768 at 6 and 8 on the candidate and with OMNIMOE_GEMV_QUAD=off; the README's and I = 8192's
# gate/up GEMV on four columns (OMNIMOE_GEMV_QUAD=2) at 6 and 8 tokens on 16 lanes (README: 520
# workgroups; OMNIMOE_GEMV_LANES sets the down GEMV's lanes too: read gate/up alone), I = 16384's on 32.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-c gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r408; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r408.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-c bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for t in gpu_gemm gpu_layer; do b "test $t" ./$t --test-threads 4; done
for r in 1 2; do
  for t in 5 6 7 8; do
    run i16384-t$t-cand-r$r X=1 --tokens $t --intermediate 16384
    run i16384-t$t-off-r$r OMNIMOE_GEMV_QUAD=off --tokens $t --intermediate 16384
  done
  for t in 6 8; do
    run i32768-t$t-cand-r$r X=1 --tokens $t --intermediate 32768
    run i32768-t$t-off-r$r OMNIMOE_GEMV_QUAD=off --tokens $t --intermediate 32768
  done
done
for t in 6 8; do
  run t$t-quad-l16 "OMNIMOE_SKINNY=off OMNIMOE_GEMV_QUAD=2 OMNIMOE_GEMV_LANES=16" --tokens $t
  run t$t-pair-l16 "OMNIMOE_SKINNY=off OMNIMOE_GEMV_LANES=16" --tokens $t
  run i8192-t$t-quad "OMNIMOE_SKINNY=off OMNIMOE_GEMV_QUAD=2" --tokens $t --intermediate 8192
  run i16384-t$t-quad-l32 "OMNIMOE_GEMV_LANES=32" --tokens $t --intermediate 16384
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
