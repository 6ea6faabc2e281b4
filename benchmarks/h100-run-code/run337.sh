#!/bin/bash
# Twenty-seventh session: more for the 32-row tiles. gpu_gemm with two more candidates (32 × 64 over 4
# subgroups of 16 × 32, `Eighth`; the 32 × 64 over 8 at K step 64); forced per GEMM at 24 and 32 tokens
# beside the default (32 × 64 over 8 at K step 128), two rounds; the down projection's K ranges at 32 and
# 64 tokens (OMNIMOE_SPLIT_K_WGS=64 / 256: 4 / 16 ranges instead of 8), per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r337; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r337.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
declare -A C=(
  [def]=""
  [e4]="OMNIMOE_FEW_TILE_GATE=eighth:128 OMNIMOE_FEW_TILE_DOWN=eighth:128"
  [e8k64]="OMNIMOE_FEW_TILE_GATE=eighth8:64 OMNIMOE_FEW_TILE_DOWN=eighth8:64"
)
for r in 1 2; do for t in 24 32; do for c in def e4 e8k64; do
  b "T=$t $c" env ${C[$c]} ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-$c-$r.json
done; done; done
for t in 32 64; do for w in 64 256; do
  b "T=$t wgs $w" env OMNIMOE_SPLIT_K_WGS=$w ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-wgs$w-1.json
done; done
b "T=64 def" ./omnimoe-f bench --dtype f16 --tokens 64 --layers 4 --runs 30 --no-autotune --json $R/m/t64-def-1.json
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
