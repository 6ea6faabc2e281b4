#!/bin/bash
# Twenty-sixth session: the final build's token sweep (h100-tokens-f16.json), f16, README sizes, with a
# stack of 4 at each point; the wide layer (I = 16384) at 1 and 16 tokens per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r323; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r323.tgz .; }
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
for t in 1 16; do
  b "I=16384 T=$t" ./omnimoe-f bench --dtype f16 --intermediate 16384 --layers 4 --tokens $t --no-autotune --json $R/i16384-t$t.json
done
grep -E "^(== |rc=[1-9]|panicked)|stack of" $L | cut -c1-200
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']:
    s=p.get('stack') or {}
    g=' / '.join('%.1f' % (x['ms']*1000) for x in p.get('gemm_stream', []))
    print('T=%-5d gpu %.4f stack %.4f wall %.4f (%.4f) spin %.4f (%.4f) | %s' % (p['tokens'], p['layer_ms'], s.get('gpu_ms_per_layer', 0), p['layer_wall_ms'], p['layer_wall_ms']-p['layer_ms'], p['layer_wall_spin_ms'], p['layer_wall_spin_ms']-p['layer_ms'], g))
"
