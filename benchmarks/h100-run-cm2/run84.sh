#!/bin/bash
# Final run: every GPU test binary touched, then the README config with cooperative matrix 2 (new) and
# without it (OMNIMOE_NO_CM2=1, the previous kernels) interleaved, f32, and the token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
T="gpu_stages gpu_layer gpu_limits gpu_prepared gpu_routing gpu_dense_moe gpu_faults gpu_encode gpu_features"
cd .dev; for f in omnimoe-new $T; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
./omnimoe-new info >> $L 2>&1
for t in $T; do echo "== $t" >> $L; timeout 150 ./$t --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L; done
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,utilization.gpu --format=csv -lms 500 > /tmp/clocks.csv 2>&1 &
echo "== f16 previous" >> $L; OMNIMOE_NO_CM2=1 timeout 120 ./omnimoe-new bench --dtype f16 --layers 4 --json $OUT/h100-f16-previous.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16" >> $L; timeout 120 ./omnimoe-new bench --dtype f16 --layers 4 --json $OUT/h100-f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16 previous 2" >> $L; OMNIMOE_NO_CM2=1 timeout 120 ./omnimoe-new bench --dtype f16 --layers 4 >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16 2" >> $L; timeout 120 ./omnimoe-new bench --dtype f16 --layers 4 >> $L 2>&1; echo "rc=$?" >> $L
echo "== f32" >> $L; timeout 120 ./omnimoe-new bench --dtype f32 --layers 4 --json $OUT/h100-f32.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep" >> $L; timeout 200 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $OUT/h100-tokens-f16.json --plot $OUT/h100-tokens-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
kill %1
cp /tmp/clocks.csv $OUT/h100-clocks.csv
grep -E "^(==|test result|rc=|layer|stack|dense_|router_topk|expert_s|expert_c|.*panicked|.*FAILED|  SHADER)" $L | cut -c1-200
