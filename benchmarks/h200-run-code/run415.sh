#!/bin/bash
# Thirty-seventh session (omnimoe-h: the candidate: a narrow GEMV of 2-8 rows in two K ranges, the GEMV
# to 8 tokens at any width), beside OMNIMOE_GEMV_SPLIT=1 (whole) and, at 7-8 tokens, OMNIMOE_SKINNY=all
# (the skinny kernel, as before); two rounds, per layer of a stack of 4. Then gpu_gemm and gpu_layer.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r415; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r415.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-h bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for r in 1 2; do
  for t in 2 4 6; do
    for c in cand:X=1 whole:OMNIMOE_GEMV_SPLIT=1; do run i4096-t$t-${c%%:*}-r$r "${c#*:}" --tokens $t; done
  done
  for t in 7 8; do
    for c in cand:X=1 skinny:OMNIMOE_SKINNY=all; do run i4096-t$t-${c%%:*}-r$r "${c#*:}" --tokens $t; done
  done
  for s in i8192:7 i8192:8 i2048:8; do
    i=${s%:*}; i=${i#i}; t=${s#*:}
    for c in cand:X=1 skinny:OMNIMOE_SKINNY=all; do run i$i-t$t-${c%%:*}-r$r "${c#*:}" --tokens $t --intermediate $i; done
  done
  for t in 4; do
    for c in cand:X=1 whole:OMNIMOE_GEMV_SPLIT=1; do b f32-t$t-${c%%:*}-r$r env ${c#*:} ./omnimoe-h bench --dtype f32 --layers 4 --runs 30 --no-autotune --json $R/m/f32-t$t-${c%%:*}-r$r.json --tokens $t; done
  done
done
for x in gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; b "test $x" ./$x --test-threads 4; done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
