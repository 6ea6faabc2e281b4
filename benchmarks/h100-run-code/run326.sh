#!/bin/bash
# Twenty-sixth session, probe: two steps in flight in the skinny kernel's 32-step builds at up to 16 rows
# (OMNIMOE_SKINNY_AHEAD2=step32), where the layer runs them: a gate/up GEMM with K % 64 == 32 (H = 1056:
# ranges of 576 and 480, 18 and 15 steps), beside the same binary's default; the GEMMs alone and per layer
# of a stack of 4 at 2, 8, 16 tokens, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r326; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r326.tgz .; }
for r in 1 2; do for v in one step32; do
  X="./omnimoe-f"; [ $v = step32 ] && X="env OMNIMOE_SKINNY_AHEAD2=step32 ./omnimoe-f"
  for t in 2 8 16; do
    b "H=1056 T=$t $v" $X bench --dtype f16 --hidden 1056 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/h1056-t$t-$v-$r.json
  done
done; done
grep -E "^(== |rc=[1-9]|panicked|error)|alone, weights|stack of|FNV" $L | cut -c1-200
