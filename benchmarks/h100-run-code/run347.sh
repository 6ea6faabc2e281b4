#!/bin/bash
# Twenty-eighth session: 32 × 32 tiles over 4 subgroups (Sixteenth4: twice the workgroups of the 32 × 64
# tiles, half the invocations each), forced for both GEMMs (OMNIMOE_FEW_TILE_GATE / _DOWN) beside the
# default at 24 and 32 tokens, per layer of a stack of 4; and the gate/up GEMM's waves with them (I =
# 5120 … 16384, B from HBM and, timing only, from the cache: nob).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r347; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r347.tgz .; }
S16="OMNIMOE_FEW_TILE_GATE=sixteenth4:128 OMNIMOE_FEW_TILE_DOWN=sixteenth4:128"
for r in 1 2; do
  for t in 24 32; do
    b "T=$t def" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-def-$r.json
    b "T=$t s16" env $S16 ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-s16-$r.json
  done
done
for i in 5120 8192 16384; do
  for pr in none nob; do
    b "I=$i s16 probe=$pr" env $S16 OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-s16-$pr.json
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
