#!/bin/bash
# Twenty-fifth session: the down projection's ACT staging (the SwiGLU of the gate/up GEMM's f32 partial
# products, made while staging A) with 2 or 4 chunks an invocation at a time, every load of their ranges
# requested before any is added (OMNIMOE_SKINNY_ACT=2|4; the same sums in the same order). Same binary:
# layer at 2, 8, 16 tokens (stack of 4, two rounds), the layer at I = 8192, 16384 (16 tokens), with the
# output's FNV-1a (the same bits?); gpu_layer (the fused chain against the CPU) with 2 and 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r311; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r311.tgz .; }
for r in 1 2; do for tk in 2 8 16; do for a in 1 2 4; do
  b "T=$tk act$a" env OMNIMOE_SKINNY_ACT=$a ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-act$a-$r.json
done; done; done
for i in 8192 16384; do for a in 1 2 4; do
  b "I=$i act$a" env OMNIMOE_SKINNY_ACT=$a ./omnimoe-f bench --dtype f16 --intermediate $i --layers 4 --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-act$a.json
done; done
for a in 2 4; do b "test gpu_layer act$a" env OMNIMOE_SKINNY_ACT=$a ./gpu_layer --test-threads 4; done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread|error)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')) + sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    st = d.get('stages', {})
    print('%-18s layer %.4f stack/layer %.4f down(staged) %.1f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), st.get('dense_down', 0) * 1e3, d.get('output_digest')))
PY
