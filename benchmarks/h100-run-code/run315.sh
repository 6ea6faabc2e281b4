#!/bin/bash
# Twenty-fifth session: the gate/up GEMM of a wide layer in one K range instead of two (OMNIMOE_SKINNY_ONE_RANGE=1:
# at one fragment row, alone, the 32-step build with A as deep as unstaged where ranges would be deeper
# than 512): half the partial products to store and add, half the fused chain's re-reads. Same binary:
# gate/up alone and per layer of a stack of 4 at I = 16384 (2, 8, 16 tokens), 8192 (16), 4096 (16), with
# the output's FNV-1a.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r315; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r315.tgz .; }
for p in 16384:2 16384:8 16384:16 8192:16 4096:16; do i=${p%:*}; tk=${p#*:}; for o in two one; do
  e=""; [ $o = one ] && e="OMNIMOE_SKINNY_ONE_RANGE=1"
  b "I=$i T=$tk $o" env $e ./omnimoe-f bench --dtype f16 --intermediate $i --layers 4 --tokens $tk --runs 10 --no-autotune --json $R/m/i$i-t$tk-$o.json
done; done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread|error)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    st = d.get('stages', {})
    g = ' | '.join('%s %.1f %dr' % (x['gemm'], x['ms'] * 1e3, x['splits']) for x in d.get('gemm_stream', []))
    print('%-22s layer %.4f stack/layer %.4f | %s | %s | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), ' '.join('%s %.1f' % (k, v * 1e3) for k, v in st.items() if 'dense' in k), g, d.get('output_digest')))
PY
