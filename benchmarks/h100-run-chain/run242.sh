#!/bin/bash
# The final build (a97ea3b): GPU tests, the token sweep with stacks of 4 (h100-tokens-f16.json), and one
# token through stacks of 4 and 8 layers by the decode chain and by the three-pass chain
# (OMNIMOE_NO_DECODE_CHAIN=1), f16 two rounds interleaved, f32 one.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r242; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
for r in 1 2; do for l in 4 8; do
b "L=$l chain $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-chain-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
done; done
for l in 4 8; do
b "f32 L=$l chain" ./omnimoe-f bench --dtype f32 --tokens 1 --layers $l --json $R/f32-l$l-chain.json
OMNIMOE_NO_DECODE_CHAIN=1 b "f32 L=$l three" ./omnimoe-f bench --dtype f32 --tokens 1 --layers $l --json $R/f32-l$l-three.json
done
tar -C $R -czf $OUT/r242.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/l*.json $R/f32*.json; do python3 -c "
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
