#!/bin/bash
# Twenty-seventh session: which tiles the autotune picks for wide layers at a few dozen to a few hundred
# rows (I = 16384: the gate/up GEMM's 128 × 128 tiles are 257, so untuned it runs them, not the few-row
# tiles), and H = 2048, I = 8192; each bench with the autotune (its candidates' times in gemm_tuning) and
# without, per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r335; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r335.tgz .; }
for t in 32 64 128 256; do
  b "I=16384 T=$t untuned" ./omnimoe-f bench --dtype f16 --intermediate 16384 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t$t-untuned.json
  b "I=16384 T=$t tuned" ./omnimoe-f bench --dtype f16 --intermediate 16384 --tokens $t --layers 4 --runs 30 --json $R/m/i16384-t$t-tuned.json
done
for t in 32 64; do
  b "H=2048 I=8192 T=$t untuned" ./omnimoe-f bench --dtype f16 --hidden 2048 --intermediate 8192 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/h2048-t$t-untuned.json
  b "H=2048 I=8192 T=$t tuned" ./omnimoe-f bench --dtype f16 --hidden 2048 --intermediate 8192 --tokens $t --layers 4 --runs 30 --json $R/m/h2048-t$t-tuned.json
done
grep -E "^(== |rc=[1-9]|panicked)" $L | cut -c1-200 | tail -3
