#!/bin/bash
# Closing check on the H100: every GPU test binary of the final code, the README config (f16), and
# N = 2^20 f32 (4 GiB tables uploaded through the queue).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_stages gpu_layer gpu_prepared gpu_encode gpu_features gpu_limits gpu_faults; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
for t in gpu_stages gpu_layer gpu_prepared gpu_encode gpu_features gpu_limits gpu_faults; do echo "== $t" >> $L; timeout 150 ./$t --test-threads 1 >> $L 2>&1; echo "rc=$?" >> $L; done
echo "== f16" >> $L; timeout 120 ./omnimoe-new bench --dtype f16 --json $OUT/f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f32 N=2^20" >> $L; /usr/bin/time -v timeout 200 ./omnimoe-new bench --dtype f32 --experts 1048576 --runs 5 --json $OUT/n1m-f32.json >> $L 2>&1; echo "rc=$?" >> $L
grep -E "^(==|test result|rc=|layer|.*panicked|.*FAILED|.*rror|.*Maximum resident|.*Elapsed)" $L | cut -c1-200
