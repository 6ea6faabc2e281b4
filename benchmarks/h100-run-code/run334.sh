#!/bin/bash
# Twenty-seventh session: 32 × 64 tiles over 8 subgroups (Eighth8, K step 128) for both GEMMs up to 32
# rows, a class of rows of their own (the autotune keeps their choice apart too). gpu_gemm (every candidate,
# Eighth8 among them), gpu_layer and gpu_prepared; per layer of a stack of 4 at 17, 24, 32 tokens beside
# the 64 × 64 tiles as before (OMNIMOE_FEW_TILE_GATE=quarter8:128 OMNIMOE_FEW_TILE_DOWN=quarter8turns:128,
# a measuring aid), two rounds; the new gate/up GEMM with the old down projection at 32; 48 and 64 tokens
# (unchanged class) and I = 16384 at 32; the autotune's choice at 32.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r334; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r334.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
b "test gpu_layer" ./gpu_layer --test-threads 4
b "test gpu_prepared" ./gpu_prepared --test-threads 4
OLD="OMNIMOE_FEW_TILE_GATE=quarter8:128 OMNIMOE_FEW_TILE_DOWN=quarter8turns:128"
for r in 1 2; do for t in 17 24 32; do
  b "T=$t old" env $OLD ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-old-$r.json
  b "T=$t new" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-new-$r.json
done; done
b "T=32 new gate, old down" env OMNIMOE_FEW_TILE_DOWN=quarter8turns:128 ./omnimoe-f bench --dtype f16 --tokens 32 --layers 4 --runs 30 --no-autotune --json $R/m/t32-gate-1.json
for t in 48 64; do
  b "T=$t new" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-new-1.json
done
b "I=16384 T=32 old" env $OLD ./omnimoe-f bench --dtype f16 --intermediate 16384 --tokens 32 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t32-old-1.json
b "I=16384 T=32 new" ./omnimoe-f bench --dtype f16 --intermediate 16384 --tokens 32 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t32-new-1.json
b "T=32 autotune" ./omnimoe-f bench --dtype f16 --tokens 32 --layers 4 --runs 30 --json $R/m/t32-tuned-1.json
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
