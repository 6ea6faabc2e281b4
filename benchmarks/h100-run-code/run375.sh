#!/bin/bash
# Thirty-first session: does NVIDIA's driver give the compiled code of a pipeline through
# VK_KHR_pipeline_executable_properties' internal representations? pipeline_stats with PIPELINE_IR_DIR, the
# tensor-core stages.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
cd .dev; for x in pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r375; mkdir -p $R/ir; L=$R/log.txt
PIPELINE_IR_DIR=$R/ir timeout 300 ./pipeline_stats gemm_coop gemm_skinny > $L 2>&1; echo "rc=$?" >> $L
tar -C $R -czf $OUT/r375.tgz .
head -c 3000 $L; ls $R/ir | head; ls $R/ir | wc -l; du -sh $R/ir
