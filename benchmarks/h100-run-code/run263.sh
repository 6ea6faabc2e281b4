#!/bin/bash
# run262's selection was slower (router_experts 16.1 → 19.8 µs): which part (timing only, `parts.diff`,
# OMNIMOE_TR_OLD naming the parts built as before): the reductions (reduce), the candidate build (step2),
# the logits' loads (loads), all three (should read as the base); r4: the reductions' levels 64 and 32
# written out for SG = 32 (no private arrays). Each stage of a stack of 8 at one token timed alone.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r263; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
OMNIMOE_STACK_STAGES=1 b "stages base" ./omnimoe-b bench --dtype f16 --tokens 1 --layers 8
for w in none reduce step2 loads reduce,step2,loads r4 r4,step2 r4,loads; do
OMNIMOE_TR_OLD=$w OMNIMOE_STACK_STAGES=1 b "stages $w" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
done
tar -C $R -czf $OUT/r263.tgz .
grep -E "^(==|stack stage router|panicked)" $L | paste - - | cut -c1-200
