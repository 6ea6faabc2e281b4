#!/bin/bash
# Twenty-eighth session: what the driver makes of gemm_coop's variants (registers, shared memory), to read
# run341's probe (the 32-row tiles' time grows with their waves as if one workgroup ran an SM at a time).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cd .dev; for x in pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
./pipeline_stats gemm_coop gemm_skinny gemv > $OUT/stats.txt 2>&1; echo rc=$?
grep -c . $OUT/stats.txt
