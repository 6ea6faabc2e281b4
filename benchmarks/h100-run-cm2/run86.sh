#!/bin/bash
# The cooperative-matrix-2 down projection unsplit from 64 output tiles (T=1024): token sweep with it and
# without the extension, interleaved; gpu_layer.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_layer; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
echo "== gpu_layer" >> $L; timeout 100 ./gpu_layer --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep" >> $L; timeout 200 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $OUT/h100-tokens-f16.json --plot $OUT/h100-tokens-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep no cm2" >> $L; OMNIMOE_NO_CM2=1 timeout 200 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $OUT/h100-tokens-f16-no-cm2.json >> $L 2>&1; echo "rc=$?" >> $L
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
for name in ["h100-tokens-f16-no-cm2", "h100-tokens-f16"]:
    d = json.load(open(f"{out}/{name}.json"))
    print(name)
    for p in d["sweep"]:
        st = p.get("stages", {})
        print("  T=%5d gpu %.4f wall %.4f staged %.4f gu %.4f down %.4f" % (p["tokens"], p["layer_ms"], p["layer_wall_ms"], p["layer_staged_ms"], st.get("dense_gate_up_router", 0), st.get("dense_down", 0)))
PY
grep -E "^(==|test result|rc=|layer \(|.*panicked)" $L | cut -c1-200
