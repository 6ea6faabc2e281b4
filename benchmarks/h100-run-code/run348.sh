#!/bin/bash
# Twenty-eighth session: why 8 warps an SM? (runs 345–347: the 32 × 64 tiles one workgroup of 8 subgroups
# an SM at a time, the 32 × 32 tiles two of 4.) The driver's registers with the halves' bitcast, as the
# layer builds the kernels (pipeline_stats now applies it), with and without 12 KiB of unused workgroup
# memory (PPAD); the 32 × 32 tiles' gate/up GEMM with B from the cache (nob) at 260 and 324 workgroups,
# with and without PPAD (2 × 34.5 KiB > 64 KiB: one an SM if a 64 KiB split of L1 were the cap).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r348; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r348.tgz .; }
./pipeline_stats gemm_coop > $R/stats.txt 2>&1
OMNIMOE_COOP_PROBE=pad ./pipeline_stats gemm_coop > $R/stats-pad.txt 2>&1
S16="OMNIMOE_FEW_TILE_GATE=sixteenth4:128 OMNIMOE_FEW_TILE_DOWN=sixteenth4:128"
for i in 4096 5120; do
  for pr in nob nob,pad none none,pad; do
    b "I=$i s16 probe=$pr" env $S16 OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-s16-$pr.json
  done
done
tar -C $R -czf $OUT/r348.tgz .
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
