#!/bin/bash
# Twenty-second session, the final build: every GPU test binary; at 1, 16, 32, 64, 128 and 256 tokens the
# bench (autotune, a stack of 4) with its GEMMs alone from memory and a kernel that only reads as many
# bytes (read_stream: the ceiling under each GEMM; read_floor_ms: the chained floor), two rounds; the
# token sweep (its top-level at T=1, for read_stream beside it) regenerating h100-tokens-f16.json. With
# the 64 × 128 tiles over 8 subgroups (Half8) as candidates; at 64, 128 and 256 tokens beside the build
# without them (omnimoe-b, f5138a6).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_layer gpu_stages gpu_prepared omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r278; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r278.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
for r in 1 2; do if [ $r = 1 ]; then T="1 16 32 64 128 256"; else T="64 128 256"; fi; for tk in $T; do
  b "T=$tk" ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --json $R/t$tk-$r.json
done; for tk in 64 128 256; do
  b "T=$tk b" ./omnimoe-b bench --dtype f16 --layers 4 --tokens $tk --json $R/t$tk-b-$r.json
done; done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*-[0-9].json $R/tokens-f16.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
g=' | '.join('%s %.1f' % (x['gemm'], x['ms']*1000) for x in d.get('gemm_stream', []))
r=' | '.join('%s read %.1f (%.2fx)' % (x['gemm'], x['ms']*1000, x['gemm_over_read']) for x in d.get('read_stream', []))
print('%-12s layer %.4f stack/layer %.4f | %s | floor %.1f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g, (d.get('read_floor_ms') or 0)*1000, r))
for t in d.get('gemm_tuning', []):
    if 32 <= t['shape'][0] <= 256: print('    ', t['shape'], 'chosen', t['chosen'].replace('Coop(CoopConfig { tile: ','').replace(', direct: true',''), ' '.join('%s:%.4f' % (c['kernel'].split('tile: ')[1].split(',')[0] + '/' + c['kernel'].split('k_step: ')[1].split(',')[0], c['ms']) for c in t['candidates_ms'] if 'Half' in c['kernel'] or 'Quarter' in c['kernel']))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']:
  g=' | '.join('%s %.1f' % (x['gemm'], x['ms']*1000) for x in p.get('gemm_stream', []))
  print('%5d gpu %.4f stack %.4f wall %.4f spin-gpu %.4f | %s' % (p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer'], p['layer_wall_ms'], p['layer_wall_spin_ms'] - p['layer_ms'], g))
"
