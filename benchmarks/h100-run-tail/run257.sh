#!/bin/bash
# The session's last commit (b5a74f7, tree_level shared by both reductions): all four GPU test binaries,
# then one token through stacks of 4 and 8, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r257; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for l in 4 8; do
b "L=$l $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-$r.json
done; done
tar -C $R -czf $OUT/r257.tgz .
grep -E "^(== test|test result|panicked|thread|minimal)" $L | cut -c1-220
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-10s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
