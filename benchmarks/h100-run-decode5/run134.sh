#!/bin/bash
# The session's last build (1ff2410 + OMNIMOE_TOPK_SUBGROUP_MIN_T): GPU tests, and with the router by
# subgroup from 1 token; the layer at T = 1, 2, 4, 8, 16 with the router by rank (default) and by subgroup.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r134; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
OMNIMOE_TOPK_SUBGROUP_MIN_T=1 b "test layer sg" ./gpu_layer --test-threads 4
for i in 1 2; do for t in 1 2 4 8 16; do for m in 1024 1; do
OMNIMOE_TOPK_SUBGROUP_MIN_T=$m b "t$t m$m $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-m$m-$i.json
done; done; done
tar -C $R -czf $OUT/r134.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
