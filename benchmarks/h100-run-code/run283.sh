#!/bin/bash
# Run in the twenty-third session as part of run285.sh (results in run285/): issue 13's item 1 as each kernel's
# marginal streaming rate. The dense MLP at I = 4096, 8192 and 16384 (the gate/up weights 17, 34 and 67 MB,
# the down 8, 17 and 34 MB) at 1, 16, 32, 64, 128 and 256 tokens, each GEMM alone from memory
# (`gemm_stream`) beside a kernel that only reads as many bytes (`read_stream`); the rate between two sizes,
# Δbytes / Δµs, is what the kernel streams at once it runs, apart from the dispatch's fixed cost (the tenth
# session measured the GEMV so: 2.55 TB/s, 76%). Needs only the current binary (.dev/omnimoe-f.xz, built
# at HEAD). The autotune picks each shape's tile (from memory).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-f.xz; chmod +x omnimoe-f
R=/tmp/r283; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r283.tgz .; }
for i in 4096 8192 16384; do for tk in 1 16 32 64 128 256; do
  b "I=$i T=$tk" ./omnimoe-f bench --dtype f16 --intermediate $i --tokens $tk --runs 10 --json $R/i$i-t$tk.json
done; done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, os
R = sys.argv[1]
rows = {}
for i in (4096, 8192, 16384):
    for t in (1, 16, 32, 64, 128, 256):
        f = f'{R}/i{i}-t{t}.json'
        if not os.path.exists(f): continue
        d = json.load(open(f))
        for g in d.get('gemm_stream', []):
            r = next((x for x in d.get('read_stream', []) if x['gemm'] == g['gemm']), None)
            rows.setdefault((t, g['gemm']), []).append((g['weight_bytes'], g['ms'] * 1e3, r and r['ms'] * 1e3, g['kernel'][:40]))
for (t, gemm), pts in sorted(rows.items()):
    pts.sort()
    line = ' '.join('%.0fMB %.1fus (read %.1f)' % (b / 1e6, us, ru or 0) for b, us, ru, _ in pts)
    rates = ['%.2f' % ((b2 - b1) / (u2 - u1) / 1e6) for (b1, u1, _, _), (b2, u2, _, _) in zip(pts, pts[1:]) if u2 > u1]
    reads = ['%.2f' % ((b2 - b1) / (r2 - r1) / 1e6) for (b1, _, r1, _), (b2, _, r2, _) in zip(pts, pts[1:]) if r1 and r2 and r2 > r1]
    print(f'T={t:<4} {gemm:<8} {line} | marginal TB/s {rates} (read {reads}) | {pts[0][3]}')
PY
