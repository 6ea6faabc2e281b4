#!/bin/bash
# The selection by rank's reductions shuffling within a subgroup (SG_TREE, default) beside the tree through
# workgroup memory (OMNIMOE_NO_SG_TREE=1): GPU tests (stages: the bits against a context without
# subgroups; prepared; layer), one token through stacks of 4 and 8 and 16 tokens through a stack of 4, two
# rounds interleaved; each stage of a stack of 8 at one token timed alone, both ways.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared gpu_layer omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r254; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared gpu_layer; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do
for l in 4 8; do
b "L=$l sg $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-sg-$r.json
OMNIMOE_NO_SG_TREE=1 b "L=$l tree $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-tree-$r.json
done
b "T=16 sg $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/t16-sg-$r.json
OMNIMOE_NO_SG_TREE=1 b "T=16 tree $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/t16-tree-$r.json
done
OMNIMOE_STACK_STAGES=1 b "stages sg" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
OMNIMOE_STACK_STAGES=1 OMNIMOE_NO_SG_TREE=1 b "stages tree" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
tar -C $R -czf $OUT/r254.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | grep -v "^== [LT]=\|^rc=0 [0-9]s" | cut -c1-220
for f in $R/l*.json $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-16s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
