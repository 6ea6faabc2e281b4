#!/bin/bash
# Twenty-second session, the last commit's shader text (gemm_coop's epilogue staging moved into
# gemm_coop/staging.wgsl): gpu_gemm (every tensor-core candidate against the CPU) and gpu_layer on the H100.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for t in gpu_gemm gpu_layer; do echo "== $t"; timeout 100 ./$t --test-threads 4 2>&1 | grep -E "test result|panicked|FAILED"; done | tee $OUT/log.txt
