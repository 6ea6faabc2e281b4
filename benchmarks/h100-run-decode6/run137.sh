#!/bin/bash
# The gate/up GEMM at 32 and 64 rows on the skinny kernel: at 64 rows (OMNIMOE_SKINNY_WIDE_M=64: four K
# ranges of 256), and its STAGED build with A as deep as unstaged (~44 KiB, OMNIMOE_SKINNY_DEEP_K=1024:
# the gate/up GEMM only, which runs beside nothing); against the default (tiled 64 x 128 at 64 rows,
# unstaged skinny at 32). Two rounds, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r137; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do for t in 32 64; do
b "t$t default $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-default-$i.json
OMNIMOE_SKINNY_DEEP_K=1024 b "t$t deep $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-deep-$i.json
if [ $t = 64 ]; then
OMNIMOE_SKINNY_WIDE_M=64 b "t$t wide $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-wide-$i.json
OMNIMOE_SKINNY_WIDE_M=64 OMNIMOE_SKINNY_DEEP_K=1024 b "t$t widedeep $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-widedeep-$i.json
fi
done; done
tar -C $R -czf $OUT/r137.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
