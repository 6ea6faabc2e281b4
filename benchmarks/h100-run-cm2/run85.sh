#!/bin/bash
# Why stages other than the cm2 GEMM measure slower in the layer on a cm2 device: only the needed
# cooperative-matrix-2 features (default now) against all of them, against no cm2; interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-new.xz; chmod +x omnimoe-new
L=$OUT/log.txt
for i in 1 2; do
echo "== needed" >> $L; timeout 120 ./omnimoe-new bench --dtype f16 --runs 20 --json $OUT/needed$i.json >> $L 2>&1
echo "== all" >> $L; OMNIMOE_CM2_ALL_FEATURES=1 timeout 120 ./omnimoe-new bench --dtype f16 --runs 20 >> $L 2>&1
echo "== none" >> $L; OMNIMOE_NO_CM2=1 timeout 120 ./omnimoe-new bench --dtype f16 --runs 20 >> $L 2>&1
done
grep -E "^(==|layer \(|dense_|router_topk|expert_s|expert_c)" $L | cut -c1-120
