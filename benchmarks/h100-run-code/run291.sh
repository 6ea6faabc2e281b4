#!/bin/bash
# Twenty-third session: the new fixed-shape test of the skinny kernel's STAGED builds over several K
# steps (tests/gpu_gemm.rs, skinny_staged_steps_match_cpu) against a mutant that loads every odd step
# from the range's first (must fail), and gpu_gemm whole with HEAD's kernels.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_gemm_mut; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r291; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r291.tgz .; }
b "mutant, new test (must fail)" ./gpu_gemm_mut skinny_staged
b "mutant, proptest" ./gpu_gemm_mut skinny_gemm
b "test gpu_gemm" ./gpu_gemm --test-threads 4
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-220
