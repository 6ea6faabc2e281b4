#!/bin/bash
# Session of 2026-11-25 (2): routing modes (issue 11) and dense weights in row blocks (issue 9) on the H100.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_layer gpu_limits gpu_route gpu_routing gpu_stages; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
for t in gpu_route gpu_routing gpu_limits gpu_layer gpu_stages; do
  echo "== $t" >> $L; timeout 150 ./$t --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L
done
echo "== routing-bench f16" >> $L
timeout 200 ./omnimoe-new routing-bench --f16 --tokens 4096 --runs 10 --quality golden/small.safetensors golden/medium.safetensors golden/kbig.safetensors golden/nonsquare.safetensors --json $OUT/routing-f16.json --plot $OUT/routing-quality.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== bench f16" >> $L
timeout 150 ./omnimoe-new bench --dtype f16 --runs 10 --json $OUT/f16.json >> $L 2>&1; echo "rc=$?" >> $L
grep -E "^(==|test result|rc=|layer|dense|router_|expert_|.*panicked|.*FAILED|.*rror|NVIDIA)" $L | cut -c1-220
