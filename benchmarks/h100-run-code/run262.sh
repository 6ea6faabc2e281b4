#!/bin/bash
# The selection by rank's candidates built one pair an invocation from row starts computed up front, and
# its normalising reductions' levels above the subgroup done by each lane with one barrier (omnimoe-s),
# and then its values and candidates read as vec4 (omnimoe-v), beside the build without (omnimoe-b,
# c505638): GPU tests with omnimoe-v's kernels; one token through stacks of 4 and 8, 16 tokens through a
# stack of 4, two rounds interleaved; each stage of a stack timed alone.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared gpu_layer omnimoe-b omnimoe-s omnimoe-v; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r262; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared gpu_layer; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for w in b s v; do
for l in 4 8; do b "L=$l $w $r" ./omnimoe-$w bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-$w-$r.json; done
b "T=16 $w $r" ./omnimoe-$w bench --dtype f16 --tokens 16 --layers 4 --json $R/t16-$w-$r.json
done; done
for w in b s v; do OMNIMOE_STACK_STAGES=1 b "stages $w" ./omnimoe-$w bench --dtype f16 --tokens 1 --layers 8; done
for w in b v; do OMNIMOE_STACK_STAGES=1 b "stages T=16 $w" ./omnimoe-$w bench --dtype f16 --tokens 16 --layers 4; done
tar -C $R -czf $OUT/r262.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | grep -v "^== [LT]=\|^rc=0 [0-9]s" | cut -c1-220
for f in $R/l*.json $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-14s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
