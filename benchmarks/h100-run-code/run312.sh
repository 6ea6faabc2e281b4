#!/bin/bash
# Twenty-fifth session: where the fused chain (the down projection staging the SwiGLU of the gate/up GEMM's
# f32 partial products itself, no reduction pass) stops paying: each of the H/128 column workgroups of the
# down projection reads its K range of those products for every row, (H/128)·T·I·8·ranges bytes from L2.
# Same binary, OMNIMOE_NO_FUSED=1 beside the default: per layer of a stack of 4 at 2, 8, 16 tokens, at
# I = 4096, 8192, 16384, with the output's FNV-1a.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r312; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r312.tgz .; }
for i in 4096 8192 16384; do for tk in 2 8 16; do for f in fused unfused; do
  e=""; [ $f = unfused ] && e="OMNIMOE_NO_FUSED=1"
  b "I=$i T=$tk $f" env $e ./omnimoe-f bench --dtype f16 --intermediate $i --layers 4 --tokens $tk --runs 10 --no-autotune --json $R/m/i$i-t$tk-$f.json
done; done; done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread|error)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    st = d.get('stages', {})
    print('%-22s layer %.4f stack/layer %.4f | %s | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), ' '.join('%s %.1f' % (k, v * 1e3) for k, v in st.items() if 'dense' in k or 'reduce' in k or 'router' in k), d.get('output_digest')))
PY
