#!/bin/bash
# The review's refactor (one split-K products pass, the fused plan carrying its kernels): GPU tests on the H100.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden
cd .dev
for x in gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; echo "== $x"; timeout 200 ./$x --test-threads 4 2>&1 | grep -E "test result|FAIL|panicked"; done
