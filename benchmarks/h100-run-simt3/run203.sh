#!/bin/bash
# The session's final build: the four GPU test binaries (with the new test that every SIMT configuration
# gives the same bits), then one f32, SIMT f16 and f16 bench each.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r203; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "f32" ./omnimoe-final bench --dtype f32 --json $R/f32.json
OMNIMOE_NO_COOP=1 b "f16 simt" ./omnimoe-final bench --dtype f16 --json $R/f16simt.json
b "f16" ./omnimoe-final bench --dtype f16 --json $R/f16.json
tar -C $R -czf $OUT/r203.tgz .
grep -E "^(==|rc=|test result|panicked|test .*FAILED)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
"; done
