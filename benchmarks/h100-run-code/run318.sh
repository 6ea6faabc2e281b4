#!/bin/bash
# Twenty-sixth session: the skinny kernel with two steps in flight, the loop written out two steps an
# iteration with no branch between a step's loads and their use (OMNIMOE_SKINNY_PROBE=ahead2, AHEAD2),
# beside the same binary without it: gpu_gemm with it, the GEMMs alone at I = 4096 / 8192 / 16384 and the
# layer per layer of a stack of 4 at 2, 8, 16 tokens (two rounds).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r318; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r318.tgz .; }
b "test gpu_gemm ahead2" env OMNIMOE_SKINNY_PROBE=ahead2 ./gpu_gemm --test-threads 4
for r in 1 2; do for pr in base ahead2; do
  for i in 4096 8192 16384; do
    b "I=$i $pr gemms" env OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$pr-$r.json
  done
  for t in 2 8 16; do
    b "T=$t $pr layers 4" env OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-$pr-$r.json
  done
done; done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of|FNV" $L | cut -c1-200
