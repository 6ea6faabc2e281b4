#!/bin/bash
# Forty-fifth session, probe (omnimoe-e = 109f5db + the 64 × 64 tiles with their staging in turns at K
# step 64 among the candidates, ~22.4 KiB: two an SM; OMNIMOE_AHEAD2=every gives AHEAD2 to every
# single-buffered tile): gpu_gemm and gpu_layer under =every; the gate/up GEMM at 64 rows on those tiles
# (OMNIMOE_FEW_TILE_GATE=quarter8turns:64) with and without AHEAD2, and on the 64 × 64 tiles at K step
# 64 with their own staging (quarter8:64, ~26.4 KiB, one an SM).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-e gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r478; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r478.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm-every env OMNIMOE_AHEAD2=every ./gpu_gemm --test-threads 4
b gpu_layer-every env OMNIMOE_AHEAD2=every ./gpu_layer --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-e; E=OMNIMOE_AHEAD2=every; G=OMNIMOE_FEW_TILE_GATE
bench warmup A=1 $X bench --tokens 64
for i in 4096 8192 16384; do
  bench i$i-t64 A=1 $X bench --tokens 64 --intermediate $i
  bench i$i-t64-q8t64 $G=quarter8turns:64 $X bench --tokens 64 --intermediate $i
  bench i$i-t64-q8t64e $E $G=quarter8turns:64 $X bench --tokens 64 --intermediate $i
done
for i in 4096 16384; do
  bench i$i-t64-q864e $E $G=quarter8:64 $X bench --tokens 64 --intermediate $i
done
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
