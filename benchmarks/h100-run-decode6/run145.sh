#!/bin/bash
# The GEMV with eight chunks' loads in flight a lane (BATCH8, this build's default) against four
# (OMNIMOE_GEMV_BATCH4): its proptest and the layer tests; the layer at T = 1, 2, 3, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r145; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gemv" ./gpu_stages gemv --test-threads 4
b "test layer" ./gpu_layer --test-threads 4
for i in 1 2; do for t in 1 2 3; do
b "t$t b8 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-b8-$i.json
OMNIMOE_GEMV_BATCH4=1 b "t$t b4 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-b4-$i.json
done; done
tar -C $R -czf $OUT/r145.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
