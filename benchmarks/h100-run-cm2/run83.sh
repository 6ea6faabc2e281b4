#!/bin/bash
# Late ADD in the cm2 down GEMM (env switch), and cm2 SwiGLU gate/up probes.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new nv_cm2_probe; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
for s in cm2/*.spv; do echo "== $s" >> $L; timeout 60 ./nv_cm2_probe $s >> $L 2>&1; echo "rc=$?" >> $L; done
for i in 1 2; do
echo "== f16 late" >> $L; OMNIMOE_CM2_LATE_ADD=1 timeout 120 ./omnimoe-new bench --dtype f16 --runs 10 --json $OUT/f16-late.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16" >> $L; timeout 120 ./omnimoe-new bench --dtype f16 --runs 10 --json $OUT/f16.json >> $L 2>&1; echo "rc=$?" >> $L
done
grep -E "^(==|rc=|layer \(|dense_|4096x|  Coop\(CoopConfig \{ tile: Nv|.*panicked|.*rror)" $L | cut -c1-200
