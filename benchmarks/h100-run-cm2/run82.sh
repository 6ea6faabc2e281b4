#!/bin/bash
# cooperative-matrix-2 GEMM with split-K: GPU tests, then f16 bench and token sweep with and without it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_stages gpu_layer gpu_limits gpu_prepared; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
for t in gpu_stages gpu_layer gpu_limits gpu_prepared; do echo "== $t" >> $L; timeout 150 ./$t --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L; done
echo "== f16" >> $L; timeout 120 ./omnimoe-new bench --dtype f16 --layers 4 --json $OUT/h100-f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep" >> $L; timeout 200 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $OUT/h100-tokens-f16.json --plot $OUT/h100-tokens-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep no cm2" >> $L; OMNIMOE_NO_CM2=1 timeout 200 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $OUT/h100-tokens-f16-no-cm2.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== f16 no cm2" >> $L; OMNIMOE_NO_CM2=1 timeout 120 ./omnimoe-new bench --dtype f16 --layers 4 --json $OUT/h100-f16-no-cm2.json >> $L 2>&1; echo "rc=$?" >> $L
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
for name in ["h100-tokens-f16-no-cm2", "h100-tokens-f16"]:
    try:
        d = json.load(open(f"{out}/{name}.json"))
    except Exception as e:
        print(name, e); continue
    print(name)
    for p in d["sweep"]:
        st = p.get("stages", {})
        print("  T=%5d gpu %.4f wall %.4f staged %.4f gu %.4f down %.4f" % (p["tokens"], p["layer_ms"], p["layer_wall_ms"], p["layer_staged_ms"], st.get("dense_gate_up_router", 0), st.get("dense_down", 0)))
PY
grep -E "^(==|test result|rc=|layer|stack|dense_|router_|expert_s|expert_c|.*panicked|.*FAILED)" $L | cut -c1-200
