#!/bin/bash
# Twenty-third session: run282 and run283 as prepared by the twenty-second (their scripts say what each
# measures), and where the prefetch prototype's time goes. Binaries: omnimoe-b (HEAD 21fa2f6), omnimoe-q
# and gpu_gemm (HEAD + quarter16.diff), omnimoe-f (HEAD + the prefetch prototype, run284).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm omnimoe-b omnimoe-q omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r285; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r285.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
# Where the prefetch's time goes: each stage its own timed pass (no dispatch beside another).
for pf in "" n; do
  b "stages T=1 L4 pf=$pf" env OMNIMOE_STACK_STAGES=1 OMNIMOE_PREFETCH=$pf ./omnimoe-f bench --dtype f16 --layers 4 --tokens 1 --no-autotune --json $R/st-t1-$pf.json
done
# run282: quarter16.diff.
b "test gpu_gemm (q)" ./gpu_gemm --test-threads 4
for r in 1 2; do for tk in 32 64 128; do for w in b q; do
  b "T=$tk $w" ./omnimoe-$w bench --dtype f16 --layers 4 --tokens $tk --json $R/t$tk-$w-$r.json
done; done; done
# run283: marginal streaming rates, HEAD.
for i in 4096 8192 16384; do for tk in 1 16 32 64 128 256; do
  b "I=$i T=$tk" ./omnimoe-b bench --dtype f16 --intermediate $i --tokens $tk --runs 10 --json $R/i$i-t$tk.json
done; done
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^== I=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*-[0-9].json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
short=lambda k: k.replace('Coop(CoopConfig { tile: ','').replace(', direct: true','').replace(' })','').replace('double_buffer: false, ','').replace('smem_vec: ','v').replace('k_step: ','k')
g=' | '.join('%s %s %.1f' % (x['gemm'], short(x['kernel']), x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-12s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done
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
