#!/bin/bash
# Twenty-sixth session: the skinny kernel with three steps in flight where it holds two (ranges of 8 steps
# of 64: OMNIMOE_SKINNY_AHEAD3), beside the same binary with two: gpu_gemm's skinny tests with it; 16 tokens,
# the GEMMs alone at I = 4096 / 8192 / 16384, per layer of a stack of 4 at 2, 8, 16 tokens (I = 16384) and
# 16 (I = 4096), two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r322; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r322.tgz .; }
b "test gpu_gemm skinny ahead3" env OMNIMOE_SKINNY_AHEAD3=1 ./gpu_gemm --test-threads 4 skinny
for r in 1 2; do for v in two three; do
  X="./omnimoe-f"; [ $v = three ] && X="env OMNIMOE_SKINNY_AHEAD3=1 ./omnimoe-f"
  for i in 4096 8192 16384; do
    b "I=$i $v gemms" $X bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$v-$r.json
  done
  for t in 2 8; do
    b "I=16384 T=$t $v" $X bench --dtype f16 --intermediate 16384 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t$t-$v-$r.json
  done
done; done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of|FNV" $L | cut -c1-200
