#!/bin/bash
# Twenty-seventh session, final build: gpu_layer and gpu_prepared; untuned (--no-autotune) beside the
# build before the untuned rule's change (omnimoe-b: 62ff1c2) at the README's sizes at 128 and 256 tokens
# (twice), I = 16384 at 32, 64, 128 and H = 2048, I = 8192 at 64, per layer of a stack of 4; then the
# token sweep (h100-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r336; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r336.tgz .; }
b "test gpu_layer" ./gpu_layer --test-threads 4
b "test gpu_prepared" ./gpu_prepared --test-threads 4
for r in 1 2; do for v in b f; do for t in 128 256; do
  b "T=$t $v" ./omnimoe-$v bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-$v-$r.json
done; done; done
for v in b f; do
  for t in 32 64 128; do
    b "I=16384 T=$t $v" ./omnimoe-$v bench --dtype f16 --intermediate 16384 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t$t-$v.json
  done
  b "H=2048 I=8192 T=64 $v" ./omnimoe-$v bench --dtype f16 --hidden 2048 --intermediate 8192 --tokens 64 --layers 4 --runs 30 --no-autotune --json $R/m/h2048-t64-$v.json
done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
