#!/bin/bash
# SIMT GEMM with 32 consecutive invocations covering 4 x 8 (w48, kept) beside base (a240115): f32 layer
# bench at the README config, interleaved (the last one written as h100-f32.json); f16 bench of the new
# build (the tensor-core path it does not touch); GEMM tests on the H100.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-w48 gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r119; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "test stages" ./gpu_stages --test-threads 4
for i in 1 2; do for v in t w48; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done; done
b "f32 w48 final" ./omnimoe-w48 bench --dtype f32 --json $R/h100-f32.json
tar -C $R -czf $OUT/r119.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/*f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d['gemm_tuning']: print('   ', g['shape'], ' '.join('%.4f'%c['ms'] for c in g['candidates_ms']), g['chosen'])
"; done
