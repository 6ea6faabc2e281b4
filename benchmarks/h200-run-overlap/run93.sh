#!/bin/bash
# Final figures on two H100s: the layer with the down projection beside the router (this session) against
# the build before it (base), the one-pass expert stage at every T (OMNIMOE_EXPERT_TOKEN_MAX_T=4096) as a
# candidate, the token sweep, and CAEE (per-adapter times after 2 s of sustained work).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
T="gpu_caee gpu_layer"
cd .dev; for f in omnimoe-new omnimoe-base $T; do xz -d -k -f $f.xz; chmod +x $f; done
R=/tmp/r93; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
for t in $T; do echo "== $t" >> $L; timeout 120 ./$t --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L; done
nvidia-smi --query-gpu=index,timestamp,clocks.sm,power.draw,utilization.gpu --format=csv -lms 500 > $R/clocks.csv 2>&1 &
b() { echo "== $1" >> $L; shift; timeout 100 "$@" >> $L 2>&1; echo "rc=$?" >> $L; }
for i in 1 2; do
  b "f16 base $i" ./omnimoe-base bench --dtype f16 --layers 4 --json $R/f16-base-$i.json
  b "f16 new $i" ./omnimoe-new bench --dtype f16 --layers 4 --json $R/f16-new-$i.json
  b "f16 onepass $i" env OMNIMOE_EXPERT_TOKEN_MAX_T=4096 ./omnimoe-new bench --dtype f16 --layers 4 --json $R/f16-onepass-$i.json
done
b "f32 new" ./omnimoe-new bench --dtype f32 --layers 4 --json $R/f32-new.json
b "f32 onepass" env OMNIMOE_EXPERT_TOKEN_MAX_T=4096 ./omnimoe-new bench --dtype f32 --layers 4 --json $R/f32-onepass.json
b "sweep new" ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-new.json --plot $R/tokens-new.svg
b "sweep onepass" env OMNIMOE_EXPERT_TOKEN_MAX_T=4096 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-onepass.json --plot $R/tokens-onepass.svg
b "caee two GPUs" ./omnimoe-new bench --adapters 2 --dtype f16 --runs 20 --json $R/h100x2-caee-f16.json --plot $R/h100x2-caee-f16.svg
b "caee resident 1024" ./omnimoe-new bench --adapters 2 --dtype f16 --runs 10 --resident-experts 1024 --prune-theta 1.0,0.8 --json $R/h100x2-caee-resident-f16.json
b "caee one GPU two devices" ./omnimoe-new bench --adapter-list 0,0 --dtype f16 --runs 20 --json $R/h100-2dev-caee-f16.json
kill %1
tar -C $R -czf $OUT/r93.tgz .
grep -E "^(==|test result|rc=|layer|stack|dense_|router_topk|expert_s|expert_c|expert_t|.*panicked|.*FAILED|θ|NVIDIA)" $L | cut -c1-180
