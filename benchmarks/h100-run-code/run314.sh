#!/bin/bash
# Twenty-fifth session: gpu_layer with its new test (a wide f16 layer, I = 8192: the fused chain at 2 and 8
# tokens, not at 16, each against the CPU reference), on the H100 where the fused chain runs.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r314; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r314.tgz .; }
b "test gpu_layer" ./gpu_layer --test-threads 4
b "test gpu_layer wide, 16 tokens fused (must fail)" env OMNIMOE_NO_FUSED=1 ./gpu_layer wide
grep -E "^(== test|rc=|test result|panicked|thread)" $L | cut -c1-220
