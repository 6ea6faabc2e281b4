#!/bin/bash
# Twenty-eighth session: the few-row tiles taken apart further (timing only but rot, `coop_probe2.diff`,
# OMNIMOE_COOP_PROBE): B read as if the weights lay tile by tile, a step's block one piece (tiled); B's
# staging stores only at the first step (nost); no barrier between a step's multiplies and the next
# block's stores (nobar: races); the stores in turns by select, not by a dynamic index (rot: the same
# bits). gemm_stream, one layer.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r344; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r344.tgz .; }
for pr in none tiled nost nobar rot tiled,nobar; do
  for t in 32 64; do
    b "T=$t probe=$pr" env OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens $t --layers 1 --runs 20 --no-autotune --json $R/m/i4096-t$t-$pr.json
  done
  b "I=16384 T=32 probe=$pr" env OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 20 --no-autotune --json $R/m/i16384-t32-$pr.json
done
for pr in none rot; do
  for t in 128 256; do
    b "T=$t probe=$pr" env OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens $t --layers 1 --runs 20 --no-autotune --json $R/m/i4096-t$t-$pr.json
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
