#!/bin/bash
# Twenty-seventh session: the final build's four GPU test binaries.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r340; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r340.tgz .; }
b "test gpu_layer" ./gpu_layer --test-threads 4
b "test gpu_prepared" ./gpu_prepared --test-threads 4
b "test gpu_gemm" ./gpu_gemm --test-threads 8
b "test gpu_stages" ./gpu_stages --test-threads 8
grep -E "^(== test|rc=|test result|panicked)" $L | cut -c1-200
