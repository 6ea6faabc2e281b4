#!/bin/bash
# Which step of router_experts' selection takes its ~4.8 µs (timing only, `twice_loop.diff`): each step
# run twice in a loop (the same code again): the normalisation (REP_NORM), the axes' ranks (REP_STEP1),
# the candidates (REP_STEP2), their ranks (REP_STEP3); the whole selection (loop_router) for reference.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r261; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
for w in base norm step1 step2 step3 loop_router; do
if [ $w = base ]; then unset OMNIMOE_RE_TWICE; else export OMNIMOE_RE_TWICE=$w; fi
OMNIMOE_STACK_STAGES=1 b "stages $w $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
done
done
tar -C $R -czf $OUT/r261.tgz .
grep -E "^(==|rc=|stack stage|panicked)" $L | grep -v "^rc=0 [0-9]*s" | grep -v "stack stage \(chain_sum\|dense\)" | paste - - | cut -c1-200
