#!/bin/bash
# router_experts in slices: 1 (the build before), 4 and 16 workgroups per token (OMNIMOE_RE_SLICES), one
# token, stacks of 4 and 8 (one layer in each), two rounds interleaved; each stage of a stack of 8 timed
# alone for 1 and 16 slices. GPU tests: stages, prepared.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r250; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for l in 4 8; do for s in 1 4 16; do
OMNIMOE_RE_SLICES=$s b "L=$l slices $s $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-s$s-$r.json
done; done; done
for s in 1 16; do OMNIMOE_STACK_STAGES=1 OMNIMOE_RE_SLICES=$s b "stages slices $s" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8; done
OMNIMOE_RE_SLICES=1 b "f32 L=4 slices 1" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-s1.json
OMNIMOE_RE_SLICES=16 b "f32 L=4 slices 16" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-s16.json
tar -C $R -czf $OUT/r250.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | cut -c1-240
for f in $R/l*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
