#!/bin/bash
# N = 2^22 at H = 1024 in f16 (expert tables of 8 GiB, 5 bindings each; router R = 2048) on the H100.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_stages; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
echo "== gpu_stages router" >> $L; timeout 100 ./gpu_stages --test-threads 1 router >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16 N=2^22" >> $L; /usr/bin/time -v timeout 420 ./omnimoe-new bench --dtype f16 --experts 4194304 --runs 5 --json $OUT/n4m-f16.json >> $L 2>&1; echo "rc=$?" >> $L
grep -E "^(==|test result|rc=|layer|dense_|router_|expert_|.*panicked|.*FAILED|.*rror|.*Maximum resident|.*Elapsed)" $L | cut -c1-200
