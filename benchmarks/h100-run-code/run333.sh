#!/bin/bash
# Twenty-seventh session: fewer K steps for the few-row tiles. New configurations (gpu_gemm tests every
# autotune candidate, these among them): 32 × 64 tiles over 8 subgroups of 16 × 16 (Eighth8, its staging in
# turns Eighth8Turns) at K step 128, 160, 192, and the 64 × 64 tiles at K step 160 (Quarter8Turns: within
# 48 KiB). Forced per GEMM with OMNIMOE_FEW_TILE_GATE / _DOWN (a measuring aid) beside the default, per
# layer of a stack of 4 at 32 and 64 tokens (two rounds), 24 and 48 once; the gate/up GEMM and the down
# projection alone (gemm_stream). The output digest says whether the bits are the default's.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r333; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r333.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
declare -A C=(
  [def]=""
  [g-e8-192]="OMNIMOE_FEW_TILE_GATE=eighth8:192"
  [g-e8t-192]="OMNIMOE_FEW_TILE_GATE=eighth8turns:192"
  [g-e8-128]="OMNIMOE_FEW_TILE_GATE=eighth8:128"
  [g-q8t-160]="OMNIMOE_FEW_TILE_GATE=quarter8turns:160"
  [d-e8t-160]="OMNIMOE_FEW_TILE_DOWN=eighth8turns:160"
  [both]="OMNIMOE_FEW_TILE_GATE=eighth8:192 OMNIMOE_FEW_TILE_DOWN=eighth8turns:160"
)
for r in 1 2; do for t in 32 64; do for c in def g-e8-192 g-e8t-192 g-e8-128 g-q8t-160 d-e8t-160 both; do
  b "T=$t $c" env ${C[$c]} ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-$c-$r.json
done; done; done
for t in 24 48; do for c in def both; do
  b "T=$t $c" env ${C[$c]} ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-$c-1.json
done; done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
