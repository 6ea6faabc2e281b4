#!/bin/bash
# T=256: the autotune's choice for the gate/up GEMM (128 x 128 tiles, timed with its weights warm in L2)
# against the untuned layer with 256 rows counted as few (OMNIMOE_FEW_SQUARE_TILES=1000 --no-autotune:
# 64 x 128 tiles, two workgroups an SM) and the untuned default (--no-autotune: 128 x 128). Two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r142; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do for t in 256 128; do
b "t$t tuned $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-tuned-$i.json
OMNIMOE_FEW_SQUARE_TILES=1000 b "t$t half $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --no-autotune --json $R/t$t-half-$i.json
b "t$t untuned $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --no-autotune --json $R/t$t-untuned-$i.json
done; done
tar -C $R -czf $OUT/r142.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160 | sort | uniq -c
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
