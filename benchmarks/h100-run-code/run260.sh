#!/bin/bash
# run259 again with the loops holding the only copy (LOOP_*: the same code run twice), and 20 extra barriers (BARRIERS).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r260; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "stats" ./pipeline_stats router_experts
for r in 1 2; do
for w in base loop_router inline_router loop_weights barriers; do
if [ $w = base ]; then unset OMNIMOE_RE_TWICE; else export OMNIMOE_RE_TWICE=$w; fi
OMNIMOE_STACK_STAGES=1 b "stages $w $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
[ $r = 1 ] && b "L=8 $w $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8 --json $R/l8-$w-$r.json
done
done
tar -C $R -czf $OUT/r260.tgz .
grep -E "^(==|rc=|stack stage|router_experts|panicked)" $L | grep -v "^rc=0 [0-9]s" | grep -v "stack stage \(chain_sum\|dense\)" | cut -c1-200
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-26s stack/layer %.4f'%('$f'.split('/')[-1], s['gpu_ms_per_layer']))
"; done
