#!/bin/bash
# Driver statistics (VK_KHR_pipeline_executable_properties) of the GEMM kernels' variants.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cd .dev; xz -d -k -f pipeline_stats.xz; chmod +x pipeline_stats
R=/tmp/r112; mkdir -p $R
./pipeline_stats > $R/stats-all.txt 2>&1
./pipeline_stats gemm_skinny=skinny_d2.wgsl > $R/stats-skinny-d2.txt 2>&1
tar -C $R -czf $OUT/r112.tgz .
grep -E "^(NVIDIA|gemm |gemm_skinny|gemm_coop f16 COOP DIRECT)" $R/stats-all.txt | head -60; wc -l $R/*.txt; cat $R/stats-skinny-d2.txt | head; grep -v "^gemm" $R/stats-all.txt | head -30
