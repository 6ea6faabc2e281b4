#!/bin/bash
# NVIDIA cooperative-matrix-2 GEMM probe (SPIR-V passthrough) beside the current f16 bench.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new nv_cm2_probe; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
for s in cm2/*.spv; do echo "== $s" >> $L; timeout 60 ./nv_cm2_probe $s >> $L 2>&1; echo "rc=$?" >> $L; done
grep -v "^  ext" $L | grep -v "^cm2 feat\|^adapter" | cut -c1-250; exit 0
echo "== bench f16" >> $L
timeout 200 ./omnimoe-new bench --dtype f16 --runs 10 --json $OUT/f16-base.json >> $L 2>&1; echo "rc=$?" >> $L
grep -v "^  ext" $L | cut -c1-250
