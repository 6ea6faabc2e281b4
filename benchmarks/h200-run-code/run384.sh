#!/bin/bash
# Thirty-second session, the final build (1b7b040, omnimoe-h): router_experts' workgroups a token
# (OMNIMOE_RE_SLICES 8 / 16 / 32 / 64; 16 the default) at one token now that it outlasts the down GEMV
# beside it, per layer of stacks of 4 and 8 and a wide layer, two rounds; each stage of a stack of 8 in a
# timed pass of its own at one token.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r384; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r384.tgz .; }
b "stages T=1" env OMNIMOE_STACK_STAGES=1 ./omnimoe-h bench --dtype f16 --layers 8 --tokens 1 --no-autotune --json $R/m/st-t1.json
for round in 1 2; do
  for s in 16 8 32 64; do
    b "T=1 L4 slices $s" env OMNIMOE_RE_SLICES=$s ./omnimoe-h bench --dtype f16 --tokens 1 --layers 4 --runs 30 --no-autotune --json $R/m/t1-l4-s$s-$round.json
    b "T=1 L8 slices $s" env OMNIMOE_RE_SLICES=$s ./omnimoe-h bench --dtype f16 --tokens 1 --layers 8 --runs 30 --no-autotune --json $R/m/t1-l8-s$s-$round.json
    b "I=16384 T=1 slices $s" env OMNIMOE_RE_SLICES=$s ./omnimoe-h bench --dtype f16 --tokens 1 --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t1-s$s-$round.json
  done
done
grep -E "^(== |rc=[1-9]|panicked|stack stage|stack of)" $L | grep -B1 -A6 "stages T" | cut -c1-160
for f in $R/m/t1-*.json $R/m/i16384-*.json; do python3 -c "
import json; d=json.load(open('$f')); print('%-22s %.4f  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest']))"; done
