#!/bin/bash
# The router's axes ranked beside the gate/up GEMV (router_axes, default) beside the build's decode chain
# without them (OMNIMOE_NO_ROUTER_AXES=1): GPU tests (stages: router_axes' bits against the GEMV's logits;
# prepared: the chain against three passes), then one token, stacks of 4 and 8 (one layer in each), two
# rounds interleaved; each stage of a stack of 8 timed alone, both ways.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r249; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for l in 4 8; do
b "L=$l axes $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-axes-$r.json
OMNIMOE_NO_ROUTER_AXES=1 b "L=$l logits $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-logits-$r.json
done; done
OMNIMOE_STACK_STAGES=1 b "stages axes" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
OMNIMOE_STACK_STAGES=1 OMNIMOE_NO_ROUTER_AXES=1 b "stages logits" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
tar -C $R -czf $OUT/r249.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | cut -c1-240
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
