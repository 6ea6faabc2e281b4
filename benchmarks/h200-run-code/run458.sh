#!/bin/bash
# Forty-third session. omnimoe-s = 711bbdd + the K-group tiles probe (coop_kgroups.diff: tiles
# Eighth8K4 / Quarter8K2 / Half8K2, flags KG4 / KG2 + KSPLIT; forced by OMNIMOE_FEW_TILE_GATE / _DOWN,
# now at every few-row class). First the GPU tests on 711bbdd's skinny kernel (never run on a GPU) with
# the new tiles among gpu_gemm's candidates; then I = 16384 at 16 tokens against run455; then the tiles
# as built beside the K-group tiles at 32 / 64 / 128 / 256 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r458; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 120 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r458.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-s bench --tokens 32 --intermediate 16384
bench i16384-t16 A=1 ./omnimoe-s bench --tokens 16 --intermediate 16384
for i in 4096 16384; do
  bench i$i-t32-base A=1 ./omnimoe-s bench --tokens 32 --intermediate $i
  bench i$i-t32-kg OMNIMOE_FEW_TILE_GATE=eighth8k4:128 OMNIMOE_FEW_TILE_DOWN=eighth8k4:128 ./omnimoe-s bench --tokens 32 --intermediate $i
  bench i$i-t64-base A=1 ./omnimoe-s bench --tokens 64 --intermediate $i
  bench i$i-t64-kg OMNIMOE_FEW_TILE_GATE=quarter8k2:128 OMNIMOE_FEW_TILE_DOWN=quarter8k2:64 ./omnimoe-s bench --tokens 64 --intermediate $i
  bench i$i-t64-kg64 OMNIMOE_FEW_TILE_GATE=quarter8k2:64 OMNIMOE_FEW_TILE_DOWN=eighth8k4:128 ./omnimoe-s bench --tokens 64 --intermediate $i
  for t in 128 256; do
    bench i$i-t$t-base A=1 ./omnimoe-s bench --tokens $t --intermediate $i
    bench i$i-t$t-kg OMNIMOE_FEW_TILE_GATE=half8k2:64 OMNIMOE_FEW_TILE_DOWN=half8k2:64 ./omnimoe-s bench --tokens $t --intermediate $i
  done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
