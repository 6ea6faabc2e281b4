#!/bin/bash
# router_experts with V's rows loaded beside U's (PREFETCH, as built) and without
# (OMNIMOE_NO_PREFETCH_V=1): the stage tests and the stack tests, then one token through stacks of 4 and
# 8 layers beside the three-pass chain (OMNIMOE_NO_DECODE_CHAIN=1), two rounds interleaved, and each
# stage of a stack of 8 in a pass of its own (OMNIMOE_STACK_STAGES=1).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared omnimoe-v; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r244; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared; do b "test $x" ./$x --test-threads 4; done
./omnimoe-v bench --dtype f16 --tokens 1 --layers 4 --json $R/warm.json > /dev/null 2>&1
OMNIMOE_STACK_STAGES=1 b "stages prefetch" ./omnimoe-v bench --dtype f16 --tokens 1 --layers 8 --json $R/s-prefetch.json
OMNIMOE_STACK_STAGES=1 OMNIMOE_NO_PREFETCH_V=1 b "stages plain" ./omnimoe-v bench --dtype f16 --tokens 1 --layers 8 --json $R/s-plain.json
for r in 1 2; do for l in 4 8; do
b "L=$l prefetch $r" ./omnimoe-v bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-prefetch-$r.json
OMNIMOE_NO_PREFETCH_V=1 b "L=$l plain $r" ./omnimoe-v bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-plain-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-v bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
done; done
b "f32 L=8 prefetch" ./omnimoe-v bench --dtype f32 --tokens 1 --layers 8 --json $R/f32-l8-prefetch.json
OMNIMOE_NO_PREFETCH_V=1 b "f32 L=8 plain" ./omnimoe-v bench --dtype f32 --tokens 1 --layers 8 --json $R/f32-l8-plain.json
tar -C $R -czf $OUT/r244.tgz .
grep -E "^(==|rc=|test result|panicked|stack stage)" $L | grep -v 'rc=0' | cut -c1-160
for f in $R/l*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-20s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
