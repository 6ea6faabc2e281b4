#!/bin/bash
# Twenty-fifth session: how many skinny workgroups does an SM hold? Each GEMM alone at I = 16384 (16 tokens,
# gate/up 256 column workgroups) in 2, 4 and 8 K ranges (OMNIMOE_SKINNY_WGS 128, 1024, 2048: 512, 1024,
# 2048 workgroups of 4 subgroups), base and the loads-only probe (bare, timing only). If one workgroup an SM
# ran at a time, the time would stay; if all ran at once, each subgroup's fewer steps would take less.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r308; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r308.tgz .; }
for r in 1 2; do for w in 128 1024 2048; do for pr in base bare; do
  b "W=$w $pr" env OMNIMOE_SKINNY_WGS=$w OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --intermediate 16384 --tokens 16 --runs 10 --no-autotune --json $R/m/w$w-$pr-$r.json
done; done; done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    g = ' | '.join('%s %.1f (read %.1f)' % (x['gemm'], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-20s layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), g))
PY
grep "alone, weights" $L | head -4
