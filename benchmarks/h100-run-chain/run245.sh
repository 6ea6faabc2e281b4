#!/bin/bash
# The final build (70fcdc3: a token's expert weights by one shared function in expert_token and
# router_experts): the stage and stack tests, then one layer and a stack of 4 at 1, 16 and 4096 tokens
# and one token through a stack of 8, the decode chain beside the three-pass chain.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared omnimoe-r; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r245; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for t in 1 16 4096; do b "T=$t" ./omnimoe-r bench --dtype f16 --tokens $t --layers 4 --json $R/t$t.json; done
b "L=8 chain" ./omnimoe-r bench --dtype f16 --tokens 1 --layers 8 --json $R/l8-chain.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=8 three" ./omnimoe-r bench --dtype f16 --tokens 1 --layers 8 --json $R/l8-three.json
tar -C $R -czf $OUT/r245.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v 'rc=0' | cut -c1-160
for f in $R/t*.json $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-14s layer %.4f  stack/layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in d['stages'].items())))
"; done
