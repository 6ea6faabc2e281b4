#!/bin/bash
# Twenty-fourth session: is the skinny kernel's gap to a kernel that only reads its access pattern? A
# timing probe (OMNIMOE_SKINNY_PROBE_TILED=1, wrong sums): each subgroup reads its step of B (32 columns ×
# 64 k) as one contiguous 4 KB block, as if B were stored tile by tile, instead of 32 pieces of 128 bytes
# 2 KB apart; otherwise the same kernel. The layer at 2, 8 and 16 tokens (stack of 4), and each GEMM
# alone at I = 4096, 8192, 16384 (16 tokens), beside the build without it (same binary).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r300; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r300.tgz .; }
for r in 1 2; do for tk in 2 16; do
  b "T=$tk base" ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-base-$r.json
  b "T=$tk probe" env OMNIMOE_SKINNY_PROBE_TILED=1 ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-probe-$r.json
done; done
for i in 4096 8192 16384; do
  b "I=$i base" ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-base.json
  b "I=$i probe" env OMNIMOE_SKINNY_PROBE_TILED=1 ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-probe.json
done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')) + sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    g = ' | '.join('%s %s %.1f (read %.1f)' % (x['gemm'], x['kernel'][:22], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-18s layer %.4f stack/layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), g))
PY
