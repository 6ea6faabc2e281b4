#!/bin/bash
# What the driver makes of the SIMT GEMM's variants, the stream-K builds among them, and the GEMV's
# (examples/pipeline_stats: registers and more through VK_KHR_pipeline_executable_properties).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cd .dev; xz -d -k -f pipeline_stats.xz; chmod +x pipeline_stats
timeout 200 ./pipeline_stats gemm gemv > $OUT/stats.txt 2>&1; echo rc=$?
grep -E "STREAMK|SPLITK" $OUT/stats.txt | grep -v COLS | head -40
