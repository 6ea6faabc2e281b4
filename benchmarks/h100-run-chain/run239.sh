#!/bin/bash
# The decode chain with the f16 row staged as f16 (ASUM_HALF: run238 found the H100's driver dropping the
# f32 → f16 → f32 rounding) and router_experts' loads sixteen at a time (WIDE): GPU tests, then one token
# through stacks of 4 and 8 layers: the chain, the chain without WIDE (OMNIMOE_NO_WIDE_EXPERTS=1), the
# three-pass chain (OMNIMOE_NO_DECODE_CHAIN=1), and the three-pass chain with expert_token's loads WIDE
# too (OMNIMOE_EXPERT_TOKEN_WIDE=1), two rounds interleaved; f16 layers at 16 and 4096 tokens with and
# without expert_token WIDE.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-w; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r239; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
OMNIMOE_EXPERT_TOKEN_WIDE=1 b "test gpu_stages wide" ./gpu_stages --test-threads 4 expert_token
./omnimoe-w bench --dtype f16 --tokens 1 --layers 4 --json $R/warm.json > /dev/null 2>&1
for r in 1 2; do for l in 4 8; do
b "L=$l chain $r" ./omnimoe-w bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-chain-$r.json
OMNIMOE_NO_WIDE_EXPERTS=1 b "L=$l narrow $r" ./omnimoe-w bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-narrow-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-w bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 OMNIMOE_EXPERT_TOKEN_WIDE=1 b "L=$l threewide $r" ./omnimoe-w bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-threewide-$r.json
done; done
for t in 16 4096; do
b "T=$t base" ./omnimoe-w bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-base.json
OMNIMOE_EXPERT_TOKEN_WIDE=1 b "T=$t wide" ./omnimoe-w bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-wide.json
done
tar -C $R -czf $OUT/r239.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/l*.json $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-20s layer %.4f  stack/layer %.4f wall/layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in d['stages'].items())))
"; done
