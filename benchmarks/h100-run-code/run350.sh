#!/bin/bash
# Twenty-eighth session: does more declared workgroup memory buy a larger share of L1 for it? The 32 × 64
# tiles with 12 KiB of unused workgroup memory (PPAD: 46.6 KiB against 34.3), at 258 and 514 workgroups
# (I = 8192, 16384), B from the cache (nob) and from HBM, beside the same tiles without it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r350; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r350.tgz .; }
for i in 8192 16384; do
  for pr in nob nob,pad none pad; do
    b "I=$i probe=$pr" env OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-$pr.json
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
