#!/bin/bash
# Twenty-fifth session: does the skinny kernel's subgroup barrier wait for the next step's loads? Its loop
# requests step s+1 (fetch) and then meets the barrier that orders step s's stores (put) before the
# fragments are read; if the barrier waits for loads in flight, the multiplies never overlap them.
# OMNIMOE_SKINNY_PROBE=late: the request after that barrier (correct sums); =nobar: no barriers in the
# loop (timing only, racy). Layer at 2, 8, 16 tokens (stack of 4) and each GEMM alone at I = 4096, 8192,
# 16384 (16 tokens), same binary. Then gpu_gemm (its skinny tests) with =late.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r306; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r306.tgz .; }
for r in 1 2; do for tk in 2 8 16; do for pr in base late nobar; do
  b "T=$tk $pr" env OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-$pr-$r.json
done; done; done
for i in 4096 8192 16384; do for pr in base late nobar; do
  b "I=$i $pr" env OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$pr.json
done; done
b "test gpu_gemm late" env OMNIMOE_SKINNY_PROBE=late ./gpu_gemm --test-threads 4
grep -E "^(== test|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')) + sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    g = ' | '.join('%s %.1f (read %.1f)' % (x['gemm'], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-18s layer %.4f stack/layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), g))
PY
