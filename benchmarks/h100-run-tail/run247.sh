#!/bin/bash
# 6th commit of the session (the few-token chain's sum tail): GPU tests (stages, layer, prepared), then
# 1..16 tokens, one layer and a stack of 4, the sum tail (default) beside the expert stage's pass
# (OMNIMOE_NO_CHAIN_SUM=1), two rounds interleaved; a stack of 8 at 16 tokens; each stage of a stack of 4
# at 16 tokens timed alone (OMNIMOE_STACK_STAGES=1) for both tails.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_layer gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r247; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for t in 1 2 4 8 16; do
b "T=$t sum $r" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-sum-$r.json
OMNIMOE_NO_CHAIN_SUM=1 b "T=$t pass $r" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-pass-$r.json
done; done
b "L=8 T=16 sum" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 8 --json $R/l8-t16-sum.json
OMNIMOE_NO_CHAIN_SUM=1 b "L=8 T=16 pass" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 8 --json $R/l8-t16-pass.json
OMNIMOE_STACK_STAGES=1 b "stages T=16 sum" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4
OMNIMOE_STACK_STAGES=1 OMNIMOE_NO_CHAIN_SUM=1 b "stages T=16 pass" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4
tar -C $R -czf $OUT/r247.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage)" $L | cut -c1-200
for f in $R/t*.json $R/l8*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
