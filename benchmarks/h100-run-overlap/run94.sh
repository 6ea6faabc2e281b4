#!/bin/bash
# Final figures on one H100: the layer (down projection beside the router, one-pass expert stage) against the
# build before this session (base), interleaved; f32; the token sweep; CAEE over two devices of the GPU
# (θ sweep, and 1024 resident experts per adapter).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
T="gpu_layer gpu_prepared gpu_caee"
cd .dev; for f in omnimoe-new omnimoe-base $T; do xz -d -k -f $f.xz; chmod +x $f; done
R=/tmp/r94; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
for t in $T; do echo "== $t" >> $L; timeout 100 ./$t --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L; done
nvidia-smi --query-gpu=index,timestamp,clocks.sm,power.draw,utilization.gpu --format=csv -lms 500 > $R/clocks.csv 2>&1 &
b() { echo "== $1" >> $L; shift; timeout 100 "$@" >> $L 2>&1; echo "rc=$?" >> $L; }
for i in 1 2; do
  b "f16 base $i" ./omnimoe-base bench --dtype f16 --layers 4 --json $R/f16-base-$i.json
  b "f16 new $i" ./omnimoe-new bench --dtype f16 --layers 4 --json $R/f16-new-$i.json
done
b "f32 new" ./omnimoe-new bench --dtype f32 --layers 4 --json $R/f32-new.json
b "sweep new" ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-new.json --plot $R/tokens-new.svg
b "caee two devices" ./omnimoe-new bench --adapter-list 0,0 --dtype f16 --runs 20 --json $R/caee-2dev-f16.json --plot $R/caee-2dev-f16.svg
b "caee two devices resident 1024" ./omnimoe-new bench --adapter-list 0,0 --dtype f16 --runs 10 --resident-experts 1024 --prune-theta 1.0,0.8 --json $R/caee-2dev-resident-f16.json
kill %1
tar -C $R -czf $OUT/r94.tgz .
grep -E "^(==|test result|rc=|layer|stack|dense_|router_topk|expert_s|expert_c|expert_t|.*panicked|.*FAILED|θ|NVIDIA)" $L | cut -c1-180
