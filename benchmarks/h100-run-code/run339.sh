#!/bin/bash
# Twenty-seventh session: tiles whose multiplying subgroups are not the ones that load (LOAD2): 4 subgroups
# of 32 × 32 (64 × 64 tile) or 16 × 32 (32 × 64) multiply, fewer fragments read from workgroup memory a
# multiply, and 4 more only load and stage the blocks. gpu_gemm with both among the candidates; forced for
# both GEMMs (OMNIMOE_FEW_TILE_GATE / _DOWN) beside the defaults, at 24 and 32 tokens (32 × 64) and 48 and
# 64 (64 × 64), two rounds, per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r339; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r339.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
for r in 1 2; do
  for t in 24 32; do
    b "T=$t def" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-def-$r.json
    b "T=$t eighthl" env OMNIMOE_FEW_TILE_GATE=eighthl:128 OMNIMOE_FEW_TILE_DOWN=eighthl:128 ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-l-$r.json
  done
  for t in 48 64; do
    b "T=$t def" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-def-$r.json
    b "T=$t quarterl" env OMNIMOE_FEW_TILE_GATE=quarterl:128 OMNIMOE_FEW_TILE_DOWN=quarterl:128 ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-l-$r.json
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
