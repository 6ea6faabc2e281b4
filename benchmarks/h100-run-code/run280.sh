#!/bin/bash
# Twenty-second session: the epilogue's staging in turns (ST4) only for a tile of its own
# (Quarter8Turns: the down projection's untuned default up to 64 rows, and a candidate), Quarter8 and
# Half8 without it, beside the build without (omnimoe-b, 4654e65): gpu_gemm and gpu_layer; 32 and 64
# tokens (autotune, and untuned) and 128 (autotune), a stack of 4; a second round at 32 and 64 (autotune);
# then the token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_layer omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r280; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r280.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for t in gpu_gemm gpu_layer; do b "test $t" ./$t --test-threads 4; done
B="bench --dtype f16 --layers 4"
for r in 1 2; do
  for tk in 32 64; do
    for w in b f; do b "T=$tk $w" ./omnimoe-$w $B --tokens $tk --json $R/t$tk-$w-$r.json; done
    [ $r = 1 ] && for w in b f; do b "T=$tk ${w}n" ./omnimoe-$w $B --no-autotune --tokens $tk --json $R/t$tk-${w}n-$r.json; done
  done
  [ $r = 1 ] && for w in b f; do b "T=128 $w" ./omnimoe-$w $B --tokens 128 --json $R/t128-$w-$r.json; done
done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*-[0-9].json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
short=lambda k: k.replace('Coop(CoopConfig { tile: ','').replace(', direct: true','').replace(' })','').replace('double_buffer: false, ','').replace('smem_vec: ','v').replace('k_step: ','k')
g=' | '.join('%s %s %.1f' % (x['gemm'], short(x['kernel']), x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-12s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
r=' | '.join('%s read %.1f' % (x['gemm'], x['ms']*1000) for x in d.get('read_stream', []))
print('read floor %.1f | %s' % ((d.get('read_floor_ms') or 0)*1000, r))
for p in d['sweep']:
  g=' | '.join('%s %.1f' % (x['gemm'], x['ms']*1000) for x in p.get('gemm_stream', []))
  print('%5d gpu %.4f stack %.4f wall %.4f spin-gpu %.4f | %s' % (p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer'], p['layer_wall_ms'], p['layer_wall_spin_ms'] - p['layer_ms'], g))
"
