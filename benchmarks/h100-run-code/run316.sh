#!/bin/bash
# Twenty-fifth session: gpu_layer of the final commit (the fused-chain tests sharing one helper) on the H100;
# with the chain forced off its wide test must fail.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r316; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r316.tgz .; }
b "test gpu_layer" ./gpu_layer --test-threads 4
b "test gpu_layer wide, 16 tokens fused (must fail)" env OMNIMOE_NO_FUSED=1 ./gpu_layer wide
grep -E "^(== test|rc=|test result|panicked|thread)" $L | cut -c1-220
