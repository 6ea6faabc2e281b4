#!/bin/bash
# Registers and workgroup memory of every gemm_coop variant as the driver compiles them (pipeline_stats),
# to see why the 64 x 64 tiles lose at 128 rows (two rows of tiles, 260 workgroups: 26.6 us against 15.8
# at 64 rows, as if one workgroup an SM).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cd .dev; xz -d -k -f pipeline_stats.xz; chmod +x pipeline_stats
timeout 240 ./pipeline_stats gemm_coop > $OUT/stats-coop.txt 2>&1; echo rc=$?
grep -iE "FN2|SG4" $OUT/stats-coop.txt | head -40
