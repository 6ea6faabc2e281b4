#!/bin/bash
# The dense-router MoE layer keeping its buffers between forwards, and routing-bench.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_dense_moe; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
echo "== gpu_dense_moe" >> $L; timeout 150 ./gpu_dense_moe --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L
echo "== routing-bench f16" >> $L
timeout 300 ./omnimoe-new routing-bench --f16 --tokens 4096 --runs 10 --quality golden/small.safetensors golden/medium.safetensors golden/kbig.safetensors golden/nonsquare.safetensors --json $OUT/routing-f16.json --plot $OUT/routing-quality.svg >> $L 2>&1; echo "rc=$?" >> $L
grep -E "^(==|test result|rc=|layer|dense|.*panicked|.*FAILED|.*rror|NVIDIA)" $L | cut -c1-300
