#!/bin/bash
# Twenty-second session: two K steps in flight for the tensor-core GEMM's 64 × 64 tiles (AHEAD2, on the
# quarter tile and on Quarter8: the same tile over 8 subgroups), and the quarter tile double buffered at K
# step 64 (the twenty-first session's quarter_db.diff), as autotune candidates and forced at up to 64 rows
# (OMNIMOE_FEWEST_TILE, a temporary measuring aid), beside the build without them (omnimoe-b, 84e0b7a).
# gpu_gemm checks every candidate against the CPU; gpu_layer runs with Quarter8 forced. Each bench at
# T ≤ 256 now times its GEMMs alone on weights from memory (gemm_stream).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_layer omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=$OUT/r276; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_gemm" ./gpu_gemm --test-threads 4
OMNIMOE_FEWEST_TILE=quarter8 b "test gpu_layer quarter8" ./gpu_layer --test-threads 4
B="bench --dtype f16 --layers 4"
for tk in 32 64; do
  b "T=$tk b" ./omnimoe-b $B --tokens $tk --json $R/t$tk-b-1.json
  b "T=$tk f" ./omnimoe-f $B --tokens $tk --json $R/t$tk-f-1.json
  for t in default quarter8 quarter8-64 quarter8-1 quarter-ahead2 quarter-db; do
    OMNIMOE_FEWEST_TILE=$t b "T=$tk f $t" ./omnimoe-f $B --no-autotune --tokens $tk --json $R/t$tk-n$t-1.json
  done
done
for tk in 128 256; do for w in b f; do b "T=$tk $w" ./omnimoe-$w $B --tokens $tk --json $R/t$tk-$w-1.json; done; done
for tk in 32 64; do
  b "T=$tk b" ./omnimoe-b $B --tokens $tk --json $R/t$tk-b-2.json
  for t in default quarter8 quarter-ahead2; do
    OMNIMOE_FEWEST_TILE=$t b "T=$tk f $t" ./omnimoe-f $B --no-autotune --tokens $tk --json $R/t$tk-n$t-2.json
  done
done
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
short=lambda k: k.replace('Coop(CoopConfig { tile: ','').replace(', direct: true','').replace(' })','').replace('double_buffer: ','db ').replace('smem_vec: ','v').replace('steps_ahead: ','ahead ').replace('k_step: ','k')
g=' | '.join('%s %s %.1f' % (x['gemm'], short(x['kernel']), x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-22s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
for t in d.get('gemm_tuning', []):
    if t['shape'][0] > 256: continue
    q = [c for c in t.get('candidates_ms', []) if 'Quarter' in c['kernel']]
    print('    ', t['shape'], ' '.join('%s %.4f' % (short(c['kernel']), c['ms']) for c in q), '| chosen', short(t['chosen']))
"; done
