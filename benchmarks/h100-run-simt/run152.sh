#!/bin/bash
# run151 found glslang's SPIR-V of gemm_coop's algorithm (gemm_khr.comp) 8-36% faster than naga's. Here,
# through SPIR-V passthrough in one harness: naga's SPIR-V as wgpu's trusted path writes it (naga_*), the
# same with the loop-unroll hint on every loop but the K loop (nagau_*, spv_tool.py unroll), glslang's
# (khr_*) and glslang's with every loop hint removed (khrn_*), beside the WGSL builds through wgpu. Two
# tilings (128 x 128 K64, 256 x 128 K32 with 16 subgroups), two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=warn
cd .dev; xz -d -k -f khr_probe.xz; chmod +x khr_probe
R=/tmp/r152; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 400 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "all" ./khr_probe khr 2
tar -C $R -czf $OUT/r152.tgz .
cat $L | cut -c1-200
