#!/bin/bash
# Twenty-seventh session: tiles over 16 subgroups. gpu_gemm with two more candidates (64 × 64 over 16
# subgroups of 16 × 16 with its staging in turns, Quarter16, K step 128; 64 × 128 over 16 of 16 × 32,
# Half16, K step 64); Quarter16 forced for both GEMMs at 48 and 64 tokens beside the default, two rounds;
# at 128 tokens the autotune's choice (Half16 among its candidates) beside the untuned default.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r338; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r338.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
Q="OMNIMOE_FEW_TILE_GATE=quarter16:128 OMNIMOE_FEW_TILE_DOWN=quarter16:128"
for r in 1 2; do for t in 48 64; do
  b "T=$t def" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-def-$r.json
  b "T=$t q16" env $Q ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-q16-$r.json
done; done
b "T=128 untuned" ./omnimoe-f bench --dtype f16 --tokens 128 --layers 4 --runs 30 --no-autotune --json $R/m/t128-def-1.json
b "T=128 tuned" ./omnimoe-f bench --dtype f16 --tokens 128 --layers 4 --runs 30 --json $R/m/t128-tuned-1.json
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
