#!/bin/bash
# Twenty-sixth session: the final build (two steps in flight in the skinny kernel's 64- and 32-step builds
# where a range holds 8 steps): the four GPU test binaries; per layer of a stack of 4 beside the same binary
# with OMNIMOE_SKINNY_AHEAD2=off at 2, 8, 16 tokens for H = 1056 (32-step gate/up GEMM), the README's
# sizes and I = 16384, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer gpu_stages gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r327; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r327.tgz .; }
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
for r in 1 2; do for v in on off; do
  X="./omnimoe-f"; [ $v = off ] && X="env OMNIMOE_SKINNY_AHEAD2=off ./omnimoe-f"
  for s in "h1056:--hidden 1056" "readme:" "i16384:--intermediate 16384"; do
    n=${s%%:*}; a=${s#*:}
    for t in 2 8 16; do
      b "$n T=$t $v" $X bench --dtype f16 $a --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/$n-t$t-$v-$r.json
    done
  done
done; done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of|FNV" $L | cut -c1-200
