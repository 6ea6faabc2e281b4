#!/bin/bash
# Expert tables split over bindings on the H100: tests, the experts sweep to N = 2^20 (f16: 2 parts at
# 2^20, one below), and N = 2^20 at H = 1024 in f32 (3 parts).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_layer gpu_limits; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
for t in gpu_limits gpu_layer; do echo "== $t" >> $L; timeout 150 ./$t --test-threads 1 >> $L 2>&1; echo "rc=$?" >> $L; done
echo "== f32 N=2^20" >> $L; timeout 200 ./omnimoe-new bench --dtype f32 --experts 1048576 --runs 10 --json $OUT/h100-n1m-f32.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep experts f16" >> $L; timeout 330 ./omnimoe-new bench --dtype f16 --sweep experts --runs 5 --json $OUT/h100-sweep-experts-f16.json --plot $OUT/h100-sweep-experts-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
grep -E "^(==|test result|rc=|layer|dense_|router_|expert_s|expert_c|  N=|.*panicked|.*FAILED|.*rror)" $L | cut -c1-220
