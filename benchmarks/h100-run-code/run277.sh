#!/bin/bash
# Twenty-second session: the 64 × 64 tiles over 8 subgroups (Quarter8, flags FM1 FN2) as candidates and
# as the untuned gate/up GEMM's tile up to 64 rows, and the autotune timing few-row candidates (up to 256
# rows) on copies of B read in turn (from device memory), beside the build without (omnimoe-b, 84e0b7a).
# OMNIMOE_FEWEST_DOWN=quarter8-64 (a temporary measuring aid): the down projection's untuned tile at up to
# 64 rows Quarter8 at K step 64 (26 KiB) instead of the quarter tile at 128 (39 KiB). Then a token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_layer omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r277; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r277.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_gemm" ./gpu_gemm --test-threads 4
b "test gpu_layer" ./gpu_layer --test-threads 4
B="bench --dtype f16 --layers 4"
for r in 1 2; do
  for tk in 32 64; do
    b "T=$tk b" ./omnimoe-b $B --tokens $tk --json $R/t$tk-b-$r.json
    b "T=$tk f" ./omnimoe-f $B --tokens $tk --json $R/t$tk-f-$r.json
    b "T=$tk fn" ./omnimoe-f $B --no-autotune --tokens $tk --json $R/t$tk-fn-$r.json
    OMNIMOE_FEWEST_DOWN=quarter8-64 b "T=$tk fn8" ./omnimoe-f $B --no-autotune --tokens $tk --json $R/t$tk-fn8-$r.json
  done
  for tk in 128 256; do for w in b f; do b "T=$tk $w" ./omnimoe-$w $B --tokens $tk --json $R/t$tk-$w-$r.json; done; done
done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*-[0-9].json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
short=lambda k: k.replace('Coop(CoopConfig { tile: ','').replace(', direct: true','').replace(' })','').replace('double_buffer: ','db ').replace('smem_vec: ','v').replace('k_step: ','k')
g=' | '.join('%s %s %.1f' % (x['gemm'], short(x['kernel']), x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-14s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']:
  g=' | '.join('%s %.1f' % (x['gemm'], x['ms']*1000) for x in p.get('gemm_stream', []))
  print('%5d gpu %.4f stack %.4f spin-gpu %.4f | %s' % (p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer'], p['layer_wall_spin_ms'] - p['layer_ms'], g))
"
