#!/bin/bash
# Twenty-eighth session: run348 found the few-row tiles' workgroups an SM bounded by workgroup memory
# (~64 KiB an SM: 32 × 32 tiles with 12 KiB more ran fewer at a time), not registers. Tiles with less of
# it, so that more run an SM: 32 × 32 over 4 subgroups at K step 64 (13.2 KiB) and 128 (21.5), 32 × 64
# over 8 at K step 64 with the staging in turns (17.7 KiB, probe st4), beside the default (34.3), both
# GEMMs, at 32 rows, I = 4096, 8192, 16384: each GEMM alone.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r349; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r349.tgz .; }
for i in 4096 8192 16384; do
  B="./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune"
  b "I=$i def" $B --json $R/m/i$i-def.json
  b "I=$i s16:64" env OMNIMOE_FEW_TILE_GATE=sixteenth4:64 OMNIMOE_FEW_TILE_DOWN=sixteenth4:64 $B --json $R/m/i$i-s16k64.json
  b "I=$i s16:128" env OMNIMOE_FEW_TILE_GATE=sixteenth4:128 OMNIMOE_FEW_TILE_DOWN=sixteenth4:128 $B --json $R/m/i$i-s16k128.json
  b "I=$i e8:64 st4" env OMNIMOE_FEW_TILE_GATE=eighth8:64 OMNIMOE_FEW_TILE_DOWN=eighth8:64 OMNIMOE_COOP_PROBE=st4 $B --json $R/m/i$i-e8k64st4.json
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
