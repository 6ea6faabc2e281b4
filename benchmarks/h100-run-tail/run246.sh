#!/bin/bash
# 79c55d5: the decode chain's last layer adding its two parts in a pass of its own (default) beside the
# three-pass tail (OMNIMOE_NO_CHAIN_SUM=1) and the three-pass chain (OMNIMOE_NO_DECODE_CHAIN=1); one token,
# one layer and stacks of 4 and 8, f16 two rounds interleaved, f32 one. gpu_prepared's tests first.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r246; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_prepared" ./gpu_prepared --test-threads 4
for r in 1 2; do for l in 4 8; do
b "L=$l sum $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-sum-$r.json
OMNIMOE_NO_CHAIN_SUM=1 b "L=$l tail $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-tail-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
done; done
b "f32 L=4 sum" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-sum.json
OMNIMOE_NO_CHAIN_SUM=1 b "f32 L=4 tail" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-tail.json
OMNIMOE_NO_DECODE_CHAIN=1 b "f32 L=4 three" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-three.json
tar -C $R -czf $OUT/r246.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/l*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f wall %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], d.get('layer_wall_ms',0), s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
