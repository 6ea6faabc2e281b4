#!/bin/bash
# The final build (the session's last kernel change, ASUM4): one token through stacks of 4 and 8 by the
# decode chain and by three passes (OMNIMOE_NO_DECODE_CHAIN=1), four rounds interleaved, f32 one; 16
# tokens through a stack of 4, two rounds; the token sweep with stacks of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r256; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2 3 4; do for l in 4 8; do
b "L=$l chain $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-chain-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
done; done
for r in 1 2; do b "T=16 $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/t16-$r.json; done
b "f32 L=4 chain" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-chain.json
OMNIMOE_NO_DECODE_CHAIN=1 b "f32 L=4 three" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-three.json
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
tar -C $R -czf $OUT/r256.tgz .
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
for f in $R/l*.json $R/t16*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
print(' '.join('%d:%.4f/%.4f'%(p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer']) for p in d['sweep']))
"
