#!/bin/bash
# Twenty-fifth session: the skinny kernel taken apart (timing only, wrong sums), each GEMM alone at
# I = 4096, 8192, 16384 (16 tokens), same binary: OMNIMOE_SKINNY_PROBE=nomma (B loaded and staged, no
# fragments or multiplies), noput (B loaded into a sink, fragments from an unwritten block, multiplies),
# bare (B loaded into a sink only), beside base. Two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r307; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r307.tgz .; }
for r in 1 2; do for i in 4096 8192 16384; do for pr in base nomma noput bare; do
  b "I=$i $pr" env OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$pr-$r.json
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
