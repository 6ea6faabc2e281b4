#!/bin/bash
# The final build's remaining GPU test binaries on the H100 (run123 ran gpu_stages, gpu_layer, gpu_prepared).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r125; mkdir -p $R; L=$R/log.txt
for x in gpu_caee gpu_dense_moe gpu_encode gpu_faults gpu_features gpu_limits gpu_route gpu_routing; do
  xz -d -k -f $x.xz; chmod +x $x; echo "== $x" >> $L; timeout 150 ./$x --test-threads 4 >> $L 2>&1; echo "rc=$?" >> $L
done
tar -C $R -czf $OUT/r125.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
