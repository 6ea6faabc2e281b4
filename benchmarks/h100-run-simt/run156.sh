#!/bin/bash
# The same question for the SIMT GEMM (issue 14's 44 TFLOP/s f32): gemm.wgsl's algorithm in GLSL
# (gemm_simt.comp, glslang 16.5, K step 8 and 16) through SPIR-V passthrough beside the WGSL builds
# through wgpu (wsimt_*), f32 in and out, at the layer's two GEMM shapes; two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=warn
cd .dev; xz -d -k -f khr_probe.xz; chmod +x khr_probe
R=/tmp/r156; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 400 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "simt" ./khr_probe simt 2
tar -C $R -czf $OUT/r156.tgz .
grep -v "wgsl_" $L | cut -c1-200
