#!/bin/bash
# The decode chain's two suspects, as measuring aids: the next layer's GEMV making each chunk of its row
# where it reads it (OMNIMOE_ASUM_DIRECT=1; its tests first) instead of staging the row behind a barrier,
# and router_experts' normalising reductions read whole (OMNIMOE_CHAIN_FLAT=1, timing only: not the
# bits of the tree); one token through stacks of 4 and 8 layers, two rounds interleaved, beside the
# three-pass chain (OMNIMOE_NO_DECODE_CHAIN=1) and WIDE off (OMNIMOE_NO_WIDE_EXPERTS=1).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_prepared omnimoe-d; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r240; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
OMNIMOE_ASUM_DIRECT=1 b "test gpu_gemm direct" ./gpu_gemm --test-threads 4 gemv_parts
OMNIMOE_ASUM_DIRECT=1 b "test gpu_prepared direct" ./gpu_prepared --test-threads 4
./omnimoe-d bench --dtype f16 --tokens 1 --layers 4 --json $R/warm.json > /dev/null 2>&1
for r in 1 2; do for l in 4 8; do
b "L=$l chain $r" ./omnimoe-d bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-chain-$r.json
OMNIMOE_ASUM_DIRECT=1 b "L=$l direct $r" ./omnimoe-d bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-direct-$r.json
OMNIMOE_CHAIN_FLAT=1 b "L=$l flat $r" ./omnimoe-d bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-flat-$r.json
OMNIMOE_ASUM_DIRECT=1 OMNIMOE_CHAIN_FLAT=1 b "L=$l directflat $r" ./omnimoe-d bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-directflat-$r.json
OMNIMOE_ASUM_DIRECT=1 OMNIMOE_NO_WIDE_EXPERTS=1 b "L=$l directnarrow $r" ./omnimoe-d bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-directnarrow-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-d bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
done; done
b "f32 L=8 chain" ./omnimoe-d bench --dtype f32 --tokens 1 --layers 8 --json $R/f32-l8-chain.json
OMNIMOE_ASUM_DIRECT=1 b "f32 L=8 direct" ./omnimoe-d bench --dtype f32 --tokens 1 --layers 8 --json $R/f32-l8-direct.json
OMNIMOE_NO_DECODE_CHAIN=1 b "f32 L=8 three" ./omnimoe-d bench --dtype f32 --tokens 1 --layers 8 --json $R/f32-l8-three.json
tar -C $R -czf $OUT/r240.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/l*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-22s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
