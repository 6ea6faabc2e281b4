#!/bin/bash
# Prepared in the thirty-fifth session, not yet run (no device time left): four columns a group in the
# GEMV (gemv_quad.diff applied: OMNIMOE_GEMV_QUAD=1 or 2, rounds of one or two chunks a column; with PAIR
# and FMA; lavapipe passes gpu_gemm's GEMV tests with either, and fails with two columns swapped) beside
# two columns a group, two rounds, per layer of a stack of 4: the README's layer at 2–6 tokens, I = 16384
# at 2, 4, 5, 6 and 8; then gpu_gemm with each aid. Build: git apply benchmarks/h200-run-code/gemv_quad.diff,
# cargo build --release -p omnimoe-cli, xz into .dev/omnimoe-q.xz (and gpu_gemm).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-q gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r407; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r407.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-q bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for r in 1 2; do
  for t in 2 3 4 5 6; do
    for q in 0 1 2; do run t$t-q$q-r$r OMNIMOE_GEMV_QUAD=$q --tokens $t; done
  done
  for t in 2 4 5 6 8; do
    for q in 0 1 2; do run i16384-t$t-q$q-r$r OMNIMOE_GEMV_QUAD=$q --tokens $t --intermediate 16384; done
  done
done
for q in 1 2; do b "gemm quad $q" env OMNIMOE_GEMV_QUAD=$q ./gpu_gemm gemv --test-threads 4; done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
