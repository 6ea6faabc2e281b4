#!/bin/bash
# Timing only (OMNIMOE_RE_TWICE, `twice.diff`): router_experts with its selection run twice, or its expert
# weights twice, beside the build as kept: each stage of a stack of 8 at one token timed alone, three
# rounds interleaved, and the stacks of 4 and 8 whole. If the second run of a part costs what the first
# does, the part's time is its own work; if much less, the first paid for something once (instruction
# fetch, first touches).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r253; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2 3; do for m in once router weights; do
OMNIMOE_RE_TWICE=$m OMNIMOE_STACK_STAGES=1 b "stages $m $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
done; done
for m in once router weights; do for l in 4 8; do
OMNIMOE_RE_TWICE=$m b "L=$l $m" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-$m.json
done; done
tar -C $R -czf $OUT/r253.tgz .
grep -E "^(==|stack stage router_experts|panicked)" $L | cut -c1-200
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
