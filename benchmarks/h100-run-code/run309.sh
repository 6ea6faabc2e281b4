#!/bin/bash
# Twenty-fifth session: where the skinny kernel's loads-only probe (bare) loses to a kernel that only reads
# (timing only): bare without staging A (bare_noa), without storing its partial products (bare_nop),
# neither (bare_noa_nop); gate/up and down alone at I = 16384 (two rounds) and 4096, 16 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r309; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r309.tgz .; }
for r in 1 2; do for i in 16384 4096; do for pr in base bare bare_noa bare_nop bare_noa_nop; do
  [ $r = 2 ] && [ $i = 4096 ] && continue
  b "I=$i $pr" env OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$pr-$r.json
done; done; done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread|error)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    g = ' | '.join('%s %.1f (read %.1f)' % (x['gemm'], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-24s layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), g))
PY
