#!/bin/bash
# CAEE over two H100s: the multi-adapter tests, then bench --adapters 2 at the README config (f16),
# experts skewed 70/30, θ ∈ {1.0, 0.9, 0.8, 0.7}; and the same with two devices of one GPU.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_caee; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
./omnimoe-new info >> $L 2>&1

echo "== two GPUs" >> $L; timeout 200 ./omnimoe-new bench --adapters 2 --dtype f16 --runs 20 --json $OUT/h100x2-caee-f16.json --plot $OUT/h100x2-caee-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== one GPU, two devices" >> $L; timeout 200 ./omnimoe-new bench --adapter-list 0,0 --dtype f16 --runs 20 --json $OUT/h100-2dev-caee-f16.json >> $L 2>&1; echo "rc=$?" >> $L
cat $L | grep -v "^test .* ok$" | cut -c1-250
