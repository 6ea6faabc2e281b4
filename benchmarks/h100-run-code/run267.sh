#!/bin/bash
# The final build (cf891f2): one token through stacks of 4 and 8, 16 tokens through a stack of 4, two
# rounds; f32 one token through a stack of 4; the token sweep with stacks of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r267; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
for l in 4 8; do b "L=$l $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-$r.json; done
b "T=16 $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/t16-$r.json
done
b "f32" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4.json
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
tar -C $R -czf $OUT/r267.tgz .
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
for f in $R/l*.json $R/t16*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-12s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
print(' '.join('%d:%.4f/%.4f'%(p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer']) for p in d['sweep']))
"
