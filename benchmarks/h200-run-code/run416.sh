#!/bin/bash
# Thirty-seventh session (omnimoe-i: 759336d, the final code: a narrow GEMV of 2-8 rows in two K ranges,
# the GEMV to 8 tokens at any width): gpu_gemm, gpu_layer and gpu_prepared (gpu_stages left out: the carry limit); the build beside the one before
# (OMNIMOE_GEMV_SPLIT=1, and at 7-8 tokens OMNIMOE_SKINNY=all with it), one round, per layer of a stack of
# 4; then the token sweep (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-i gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r416; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r416.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-i bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for t in gpu_gemm gpu_layer gpu_prepared; do b "test $t" ./$t --test-threads 4; done
for t in 3 5 8; do
  old=OMNIMOE_GEMV_SPLIT=1; [ $t -ge 7 ] && old="OMNIMOE_GEMV_SPLIT=1 OMNIMOE_SKINNY=all"
  run i4096-t$t-final X=1 --tokens $t
  run i4096-t$t-before "$old" --tokens $t
done
for t in 3 8; do
  old=OMNIMOE_GEMV_SPLIT=1
  run i16384-t$t-final X=1 --tokens $t --intermediate 16384
  run i16384-t$t-before "$old" --tokens $t --intermediate 16384
done
b "sweep" ./omnimoe-i bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
python3 -c "
import json; d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']: print(p['tokens'], p['layer_ms'], p['layer_wall_spin_ms'], (p.get('stack') or {}).get('gpu_ms_per_layer'), p.get('error'))" 2>&1 | head -20
