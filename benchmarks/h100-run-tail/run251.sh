#!/bin/bash
# expert_token in slices (OMNIMOE_ET_SLICES 1, the default, 4 and 8) at 2 to 16 tokens, one layer and a
# stack of 4, two rounds interleaved; each stage of a stack of 4 at 16 tokens timed alone for 1 and 4.
# GPU tests: gpu_layer with 4 slices (the few-token chain's bits and its CPU comparison).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_layer omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r251; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
OMNIMOE_ET_SLICES=4 b "test gpu_layer slices 4" ./gpu_layer --test-threads 4
for r in 1 2; do for t in 2 4 8 16; do for s in 1 4 8; do
OMNIMOE_ET_SLICES=$s b "T=$t slices $s $r" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-s$s-$r.json
done; done; done
for s in 1 4; do OMNIMOE_STACK_STAGES=1 OMNIMOE_ET_SLICES=$s b "stages T=16 slices $s" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4; done
tar -C $R -czf $OUT/r251.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | grep -v "^== T=" | cut -c1-240
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-16s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
