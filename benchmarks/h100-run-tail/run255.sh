#!/bin/bash
# The decode chain's GEMV staging its row four elements at a time (ASUM4, omnimoe-f) beside the build
# without (omnimoe-b, ad4dd5c): GPU tests (gemm: the parts' bits; prepared: the chain's), one token through
# stacks of 4 and 8, three rounds interleaved; each stage of a stack of 8 timed alone, both builds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_prepared omnimoe-f omnimoe-b; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r255; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_gemm gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2 3; do for l in 4 8; do
b "L=$l base $r" ./omnimoe-b bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-base-$r.json
b "L=$l asum4 $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-asum4-$r.json
done; done
OMNIMOE_STACK_STAGES=1 b "stages base" ./omnimoe-b bench --dtype f16 --tokens 1 --layers 8
OMNIMOE_STACK_STAGES=1 b "stages asum4" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
tar -C $R -czf $OUT/r255.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | grep -v "^== L=\|^rc=0 [0-9]s" | cut -c1-220
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-16s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
