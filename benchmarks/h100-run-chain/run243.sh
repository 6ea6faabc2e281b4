#!/bin/bash
# Timing only (router_experts_parts.diff): router_experts taken apart, one token through a stack of 8
# layers: the whole kernel, its router alone (OMNIMOE_ROUTER_EXPERTS_PART=router: no experts) and its
# expert stage alone (=experts: fixed experts, no router); each stage in a pass of its own
# (OMNIMOE_STACK_STAGES=1) and, in plain runs, the stack per layer; two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r243; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
./omnimoe-p bench --dtype f16 --tokens 1 --layers 4 --json $R/warm.json > /dev/null 2>&1
for r in 1 2; do
OMNIMOE_STACK_STAGES=1 b "stages whole $r" ./omnimoe-p bench --dtype f16 --tokens 1 --layers 8 --json $R/s-whole-$r.json
OMNIMOE_STACK_STAGES=1 OMNIMOE_ROUTER_EXPERTS_PART=router b "stages router $r" ./omnimoe-p bench --dtype f16 --tokens 1 --layers 8 --json $R/s-router-$r.json
OMNIMOE_STACK_STAGES=1 OMNIMOE_ROUTER_EXPERTS_PART=experts b "stages experts $r" ./omnimoe-p bench --dtype f16 --tokens 1 --layers 8 --json $R/s-experts-$r.json
b "L=8 whole $r" ./omnimoe-p bench --dtype f16 --tokens 1 --layers 8 --json $R/l8-whole-$r.json
OMNIMOE_ROUTER_EXPERTS_PART=router b "L=8 router $r" ./omnimoe-p bench --dtype f16 --tokens 1 --layers 8 --json $R/l8-router-$r.json
OMNIMOE_ROUTER_EXPERTS_PART=experts b "L=8 experts $r" ./omnimoe-p bench --dtype f16 --tokens 1 --layers 8 --json $R/l8-experts-$r.json
done
tar -C $R -czf $OUT/r243.tgz .
grep -E "^(==|rc=|stack stage)" $L | grep -v 'rc=0' | cut -c1-160
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s stack/layer %.4f'%('$f'.split('/')[-1], s['gpu_ms_per_layer']))
"; done
