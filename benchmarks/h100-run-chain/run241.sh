#!/bin/bash
# Where the decode chain's time goes: one token through a stack of 8 layers with each stage timed in a
# pass of its own (OMNIMOE_STACK_STAGES=1: stages one after another, none beside another), the chain
# with and without WIDE (OMNIMOE_NO_WIDE_EXPERTS=1) and the three-pass chain; then the plain timings
# again (stacks of 4 and 8), two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r241; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
./omnimoe-s bench --dtype f16 --tokens 1 --layers 4 --json $R/warm.json > /dev/null 2>&1
export OMNIMOE_STACK_STAGES=1
b "stages chain" ./omnimoe-s bench --dtype f16 --tokens 1 --layers 8 --json $R/s-chain.json
OMNIMOE_NO_WIDE_EXPERTS=1 b "stages narrow" ./omnimoe-s bench --dtype f16 --tokens 1 --layers 8 --json $R/s-narrow.json
OMNIMOE_NO_DECODE_CHAIN=1 b "stages three" ./omnimoe-s bench --dtype f16 --tokens 1 --layers 8 --json $R/s-three.json
unset OMNIMOE_STACK_STAGES
for r in 1 2; do for l in 4 8; do
b "L=$l chain $r" ./omnimoe-s bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-chain-$r.json
OMNIMOE_NO_WIDE_EXPERTS=1 b "L=$l narrow $r" ./omnimoe-s bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-narrow-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-s bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
done; done
tar -C $R -czf $OUT/r241.tgz .
grep -E "^(==|rc=|stack stage)" $L | cut -c1-160
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
