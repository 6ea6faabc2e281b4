#!/bin/bash
# Thirty-first session: the committed build (5046e0b: no kernel change since the thirtieth session) per
# layer of a stack of 4 at 32 / 64 / 128 tokens and I = 16384 at 32, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r377; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r377.tgz .; }
for round in 1 2; do
  for t in 32 64 128; do
    b "T=$t" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-$round.json
  done
  b "I=16384 T=32" ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 4 --runs 20 --no-autotune --json $R/m/i16384-t32-$round.json
done
grep -E "^(==|rc=|output bits)" $L
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"layer_ms": *[0-9.]*' $f | head -1)"; done
