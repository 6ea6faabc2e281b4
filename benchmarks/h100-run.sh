#!/bin/bash
# Run on the GPU machine from the repository root, with .dev/ holding the xz-compressed release binary
# (omnimoe-new), the previous version's (omnimoe-base), the GPU test binaries and the golden files, and .gl/
# the Vulkan loader packages (see the tool library's device notes). Results go to $OUT.
# Final H100 run: correctness of every kernel, then new against base (the commit before this work),
# interleaved, each measurement on a busy GPU (base: --warmup 400 back-to-back forwards first).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new omnimoe-base gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,utilization.gpu --format=csv -lms 500 > /tmp/clocks.csv 2>&1 &
for t in gpu_stages gpu_layer gpu_prepared; do echo "== $t" >> $L; timeout 120 ./$t --test-threads 1 >> $L 2>&1; echo "rc=$?" >> $L; done
echo "== new f16" >> $L; timeout 120 ./omnimoe-new bench --dtype f16 --layers 4 --json $OUT/h100-f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== base f16" >> $L; timeout 120 ./omnimoe-base bench --dtype f16 --warmup 400 --json /tmp/base-f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== new f32" >> $L; timeout 120 ./omnimoe-new bench --dtype f32 --layers 4 --json $OUT/h100-f32.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== base f32" >> $L; timeout 120 ./omnimoe-base bench --dtype f32 --warmup 300 --json /tmp/base-f32.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== new sweep" >> $L; timeout 240 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $OUT/h100-tokens-f16.json --plot $OUT/h100-tokens-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== base sweep" >> $L; timeout 200 ./omnimoe-base bench --dtype f16 --sweep tokens --runs 10 --warmup 300 --json /tmp/base-tokens-f16.json >> $L 2>&1; echo "rc=$?" >> $L
kill %1
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
merged = {}
for name in ["base-f16", "base-f32", "base-tokens-f16"]:
    try:
        merged[name] = json.load(open(f"/tmp/{name}.json"))
    except Exception as e:
        merged[name] = {"error": str(e)}
json.dump(merged, open(f"{out}/h100-base-f0ca113.json", "w"), indent=1)
PY
cp /tmp/clocks.csv $OUT/clocks.csv
grep -E "^(==|test result|rc=|layer|stack|dense_|router_|expert_s|expert_c|  T=|  ->|.*panicked)" $L | cut -c1-200
