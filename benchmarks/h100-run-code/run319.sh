#!/bin/bash
# Twenty-sixth session: the skinny kernel's two steps in flight (AHEAD2) in ranges of 8 steps of 64, as
# committed: the four GPU test binaries; each GEMM alone at 16 tokens, I = 4096 / 8192 / 16384, and per
# layer of a stack of 4 at 2, 8, 16 tokens (I = 4096, 16384), beside the same binary with
# OMNIMOE_SKINNY_AHEAD2=off and the build before (omnimoe-b), two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_gemm gpu_layer gpu_stages gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r319; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r319.tgz .; }
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
for r in 1 2; do for v in new off base; do
  case $v in new) X="./omnimoe-f";; off) X="env OMNIMOE_SKINNY_AHEAD2=off ./omnimoe-f";; base) X="./omnimoe-b";; esac
  for i in 4096 8192 16384; do
    b "I=$i $v gemms" $X bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$v-$r.json
  done
  for i in 4096 16384; do for t in 2 8 16; do
    b "I=$i T=$t $v layers 4" $X bench --dtype f16 --intermediate $i --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-$v-$r.json
  done; done
done; done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of|FNV" $L | cut -c1-200
