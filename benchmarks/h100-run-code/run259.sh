#!/bin/bash
# Is router_experts' time its work or its code arriving? (timing only, `twice_loop.diff`): the selection
# or the expert weights run twice, as a second inlined copy (new code) or as a loop of two (the same code
# again), each stage of a stack of 8 at one token timed alone; what the driver makes of each build.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r259; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "stats" ./pipeline_stats router_experts router_topk expert_token gemv
for r in 1 2; do
for w in base inline_router loop_router inline_weights loop_weights; do
if [ $w = base ]; then unset OMNIMOE_RE_TWICE; else export OMNIMOE_RE_TWICE=$w; fi
OMNIMOE_STACK_STAGES=1 b "stages $w $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
b "L=8 $w $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8 --json $R/l8-$w-$r.json
done
done
tar -C $R -czf $OUT/r259.tgz .
grep -E "^(==|rc=|stack stage|router_experts|panicked)" $L | grep -v "^rc=0 [0-9]s" | grep -v "stack stage \(chain_sum\|dense\)" | cut -c1-200
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-26s stack/layer %.4f'%('$f'.split('/')[-1], s['gpu_ms_per_layer']))
"; done
