#!/bin/bash
# The GEMV's ASUM build requesting its first step's weights before it stages the row (omnimoe-f, the
# working tree after 31fdad1) beside the build without (omnimoe-b, dff599c: the same one-token path as
# 31fdad1), and with OMNIMOE_TOUCH_V=1 (timing only: router_experts touching V's chosen rows beside U's
# loads); one token, stacks of 4 and 8, two rounds interleaved; each stage of a stack of 8 timed alone.
# GPU tests: gpu_gemm (the GEMV's parts) and gpu_prepared (the decode chain's bits).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_prepared omnimoe-f omnimoe-b; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r248; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_gemm gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for l in 4 8; do
b "L=$l base $r" ./omnimoe-b bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-base-$r.json
b "L=$l ahead $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-ahead-$r.json
OMNIMOE_TOUCH_V=1 b "L=$l touch $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-touch-$r.json
done; done
OMNIMOE_STACK_STAGES=1 b "stages base" ./omnimoe-b bench --dtype f16 --tokens 1 --layers 8
OMNIMOE_STACK_STAGES=1 b "stages ahead" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
OMNIMOE_STACK_STAGES=1 OMNIMOE_TOUCH_V=1 b "stages touch" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
tar -C $R -czf $OUT/r248.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage)" $L | cut -c1-200
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
