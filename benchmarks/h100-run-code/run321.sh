#!/bin/bash
# Twenty-sixth session: the tensor-core tiles with two steps in flight (OMNIMOE_COOP_AHEAD2: single-buffered
# builds, the loop written out two steps an iteration, no branch between loads and their stores) beside the
# same binary without: gpu_gemm with it; the GEMMs alone and per layer of a stack of 4 at 32, 64, 128, 256
# tokens (I = 4096; 32 and 64 at I = 16384), two rounds; one layer at 4096 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r321; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r321.tgz .; }
b "test gpu_gemm coop ahead2" env OMNIMOE_COOP_AHEAD2=1 ./gpu_gemm --test-threads 4
for r in 1 2; do for v in off on; do
  X="./omnimoe-f"; [ $v = on ] && X="env OMNIMOE_COOP_AHEAD2=1 ./omnimoe-f"
  for t in 32 64 128 256; do
    b "I=4096 T=$t $v" $X bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i4096-t$t-$v-$r.json
  done
  for t in 32 64; do
    b "I=16384 T=$t $v" $X bench --dtype f16 --intermediate 16384 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t$t-$v-$r.json
  done
done; done
for v in off on; do
  X="./omnimoe-f"; [ $v = on ] && X="env OMNIMOE_COOP_AHEAD2=1 ./omnimoe-f"
  b "T=4096 $v" $X bench --dtype f16 --tokens 4096 --runs 20 --no-autotune --json $R/m/t4096-$v.json
done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of|FNV" $L | cut -c1-200
