#!/bin/bash
# Forty-first session: what NVIDIA's driver reports for the GEMV's and the skinny kernel's builds
# (examples/pipeline_stats: VK_KHR_pipeline_executable_properties), registers per invocation above all.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cd .dev; xz -d -k -f pipeline_stats.xz; chmod +x pipeline_stats
timeout 250 ./pipeline_stats gemv gemm_skinny > $OUT/stats443.txt 2>&1; echo rc=$?
grep -c . $OUT/stats443.txt; grep 'ROWS=8' $OUT/stats443.txt | grep -v SLABS | head -20
