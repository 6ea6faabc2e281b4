#!/bin/bash
# Down projection beside the router (issue 13/14) on one H100, A/B against the previous build (base),
# then CAEE on two H100s with the final build (issue 12).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
T="gpu_stages gpu_layer gpu_prepared gpu_caee"
cd .dev; for f in omnimoe-new omnimoe-base $T; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
./omnimoe-new info >> $L 2>&1
for t in $T; do echo "== $t" >> $L; timeout 120 ./$t --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L; done
echo "== f16 base" >> $L; timeout 100 ./omnimoe-base bench --dtype f16 --layers 4 --json $OUT/f16-base.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16 new" >> $L; timeout 100 ./omnimoe-new bench --dtype f16 --layers 4 --json $OUT/h100-f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16 base 2" >> $L; timeout 100 ./omnimoe-base bench --dtype f16 --layers 4 --json $OUT/f16-base-2.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16 new 2" >> $L; timeout 100 ./omnimoe-new bench --dtype f16 --layers 4 --json $OUT/f16-new-2.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f32 new" >> $L; timeout 100 ./omnimoe-new bench --dtype f32 --layers 4 --json $OUT/h100-f32.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep base" >> $L; timeout 150 ./omnimoe-base bench --dtype f16 --sweep tokens --runs 10 --json $OUT/tokens-base.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep new" >> $L; timeout 150 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $OUT/h100-tokens-f16.json --plot $OUT/h100-tokens-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== calibrate" >> $L; timeout 100 ./omnimoe-new calibrate --json $OUT/h100-cost-model.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== caee two GPUs" >> $L; timeout 120 ./omnimoe-new bench --adapters 2 --dtype f16 --runs 20 --json $OUT/h100x2-caee-f16.json --plot $OUT/h100x2-caee-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== caee resident 1024" >> $L; timeout 100 ./omnimoe-new bench --adapters 2 --dtype f16 --runs 10 --resident-experts 1024 --prune-theta 1.0,0.8 --json $OUT/h100x2-caee-resident-f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== caee one GPU two devices" >> $L; timeout 100 ./omnimoe-new bench --adapter-list 0,0 --dtype f16 --runs 20 --json $OUT/h100-2dev-caee-f16.json >> $L 2>&1; echo "rc=$?" >> $L
grep -E "^(==|test result|rc=|layer|stack|dense_|router_topk|expert_s|expert_c|expert_t|.*panicked|.*FAILED|NVIDIA|theta|θ|adapter)" $L | cut -c1-200
