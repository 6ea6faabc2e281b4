#!/bin/bash
# Twenty-sixth session: gpu_layer with the new test of a layer whose H is no multiple of 128
# (odd_width_f16_chain_matches_the_cpu: H = 160, the skinny kernel's last workgroup of one subgroup, the
# fused chain), then with the skinny kernel off (the chain cannot run: its assertion must fail).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r331; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r331.tgz .; }
b "test gpu_layer" ./gpu_layer --test-threads 4
b "test gpu_layer odd_width, skinny off (must fail)" env OMNIMOE_SKINNY=off ./gpu_layer odd_width
grep -E "^(== test|rc=|test result|panicked)" $L | cut -c1-220
