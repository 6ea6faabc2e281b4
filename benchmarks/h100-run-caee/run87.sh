#!/bin/bash
# CAEE cost model on the H100: omnimoe calibrate at the README's H and K, twice (the fits' stability).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-new.xz; chmod +x omnimoe-new
L=$OUT/log.txt
echo "== calibrate" >> $L; timeout 200 ./omnimoe-new calibrate --json $OUT/h100-cost-model.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== calibrate again" >> $L; timeout 200 ./omnimoe-new calibrate --json $OUT/h100-cost-model-2.json >> $L 2>&1; echo "rc=$?" >> $L
cat $L
