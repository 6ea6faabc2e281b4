#!/bin/bash
# After the context module's split into a folder (fd111b9; no behaviour change): the GPU tests, `omnimoe
# info`, and the layer at T = 16 and 4096 (f16).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r144; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "info" ./omnimoe-final info
b "t16" ./omnimoe-final bench --dtype f16 --tokens 16 --runs 20 --json $R/t16.json
b "t4096" ./omnimoe-final bench --dtype f16 --runs 20 --json $R/t4096.json
tar -C $R -czf $OUT/r144.tgz .
grep -E "^(==|rc=|test result|panicked|NVIDIA|  SHADER)" $L | cut -c1-200
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
