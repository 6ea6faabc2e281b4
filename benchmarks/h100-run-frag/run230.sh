#!/bin/bash
# What the driver makes of the COAL builds (run229's stores through workgroup memory, coal.diff):
# registers of each SIMT GEMM build with OMNIMOE_SIMT_COAL=1 (examples/pipeline_stats built with it).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cd .dev; xz -d -k -f pipeline_stats.xz; chmod +x pipeline_stats
OMNIMOE_SIMT_COAL=1 timeout 200 ./pipeline_stats gemm > $OUT/stats-coal.txt 2>&1; echo rc=$?
grep -E "COAL" $OUT/stats-coal.txt | grep -v "COLS\|TK=16" | cut -c1-120 | head -40
