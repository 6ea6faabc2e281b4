#!/bin/bash
# Issue 14's question: does naga's SPIR-V cap the WGSL tensor-core GEMM? gemm_coop's algorithm written in
# GLSL (GL_KHR_cooperative_matrix, glslang 16.5: gemm_khr.comp) for three of its tilings, run through
# SPIR-V passthrough beside the WGSL builds of the same tilings (naga), plain f32 output, at the layer's
# two GEMM shapes, results checked exactly on sampled rows. WGSL alone first (a faulting passthrough
# kernel would take the device down), then all, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=warn
cd .dev; xz -d -k -f khr_probe.xz; chmod +x khr_probe
R=/tmp/r151; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "wgsl only" ./khr_probe khr_empty 1
b "glsl, naga (passthrough, loop hints patched) and wgsl" ./khr_probe khr 2
tar -C $R -czf $OUT/r151.tgz .
cat $L | cut -c1-200
