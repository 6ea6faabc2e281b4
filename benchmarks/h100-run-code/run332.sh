#!/bin/bash
# Twenty-seventh session: does a workgroup barrier wait for loads in flight into registers? The read probe
# (timing only, OMNIMOE_READ_PROBE: pipe = eight words in flight a lane, bar = a barrier between four
# words' requests and their fold, pipe_bar = both) at the layer's weights' sizes from ~130 workgroups (one
# an SM: words a workgroup 8192 at I = 4096, 32768 at 16384) and ~520; and the 64 × 64 tiles' gate/up GEMM
# at 32 and 64 rows split over 3 K ranges (OMNIMOE_SPLIT_K_WGS=300: three workgroups an SM; its partial
# products alone in gemm_stream) beside the default.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r332; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r332.tgz .; }
for r in 1 2; do
  for m in none pipe bar pipe_bar; do
    for w in 8192 2048; do
      b "read $m $w I=4096" env OMNIMOE_READ_PROBE=$m OMNIMOE_READ_PER_WG=$w ./omnimoe-f bench --dtype f16 --tokens 16 --runs 5 --no-autotune --json $R/m/read-$m-$w-i4096-$r.json
    done
    for w in 32768 8192; do
      b "read $m $w I=16384" env OMNIMOE_READ_PROBE=$m OMNIMOE_READ_PER_WG=$w ./omnimoe-f bench --dtype f16 --intermediate 16384 --tokens 16 --runs 5 --no-autotune --json $R/m/read-$m-$w-i16384-$r.json
    done
  done
  for t in 32 64; do
    b "T=$t default" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-def-$r.json
    b "T=$t split 300" env OMNIMOE_SPLIT_K_WGS=300 ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-s300-$r.json
  done
done
grep -E "^(== |rc=[1-9]|panicked)" $L | cut -c1-200 | tail -5
