#!/bin/bash
# Twenty-sixth session, probe: the down projection on the skinny kernel (two steps in flight in its 32-step
# builds) at 17-64 rows while the gate/up GEMM stays on the 64 x 64 tiles (OMNIMOE_SKINNY_DOWN_MAX_M=64),
# beside the same binary's default (both on the tiles): per layer of a stack of 4 at 24, 32, 48, 64 tokens
# (I = 4096) and 32 (I = 16384), two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r328; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r328.tgz .; }
for r in 1 2; do for v in tiles down; do
  X="./omnimoe-f"; [ $v = down ] && X="env OMNIMOE_SKINNY_DOWN_MAX_M=64 ./omnimoe-f"
  for t in 24 32 48 64; do
    b "I=4096 T=$t $v" $X bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i4096-t$t-$v-$r.json
  done
  b "I=16384 T=32 $v" $X bench --dtype f16 --intermediate 16384 --tokens 32 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t32-$v-$r.json
done; done
grep -E "^(== |rc=[1-9]|panicked|error)|alone, weights|stack of|FNV" $L | cut -c1-200
