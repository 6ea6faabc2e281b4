#!/bin/bash
# router_experts summing its slice of the branch from V loaded an element an invocation (SPREAD, default)
# beside the build's own sum_expert_columns (OMNIMOE_NO_SPREAD=1), one binary (omnimoe-f): GPU tests; one
# token through stacks of 4 and 8, three rounds interleaved; f32 one token through a stack of 4; each
# stage of a stack of 8 timed alone, both ways.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared gpu_layer omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r266; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared gpu_layer; do b "test $x" ./$x --test-threads 4; done
for r in 1 2 3; do for l in 4 8; do
b "L=$l spread $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-spread-$r.json
OMNIMOE_NO_SPREAD=1 b "L=$l cols $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-cols-$r.json
done; done
b "f32 spread" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-spread.json
OMNIMOE_NO_SPREAD=1 b "f32 cols" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-cols.json
OMNIMOE_STACK_STAGES=1 b "stages spread" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
OMNIMOE_NO_SPREAD=1 OMNIMOE_STACK_STAGES=1 b "stages cols" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
tar -C $R -czf $OUT/r266.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | grep -v "^== [Lf]\|^rc=0 [0-9]s" | cut -c1-220
for f in $R/l*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
