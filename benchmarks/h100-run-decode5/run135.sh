#!/bin/bash
# GEMV lanes per column by depth (16 for the gate/up GEMM at K = 1024 f16, 64 for the down projection):
# GPU tests; the layer at T = 1, 2, 3 with the new choice and with 64 lanes everywhere (as before), interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r135; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 120 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test stages" ./gpu_stages --test-threads 4
b "test layer" ./gpu_layer --test-threads 4
for i in 1 2; do for t in 1 2 3; do for l in 0 64; do
if [ $l = 0 ]; then b "t$t new $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-new-$i.json
else OMNIMOE_GEMV_LANES=64 b "t$t l64 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-l64-$i.json; fi
done; done; done
tar -C $R -czf $OUT/r135.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
