#!/bin/bash
# SIMT GEMM: subgroups covering 4 x 8 threads (w48) against the build before (base = a240115): f32 layer
# bench at the README config, interleaved; driver register counts of the new kernel.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-w48 pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r113; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
./pipeline_stats gemm=gemm_w48.wgsl > $R/stats-gemm-w48.txt 2>&1
b "f32 base 1" ./omnimoe-t bench --dtype f32 --json $R/f32-base-1.json
b "f32 w48 1" ./omnimoe-w48 bench --dtype f32 --json $R/f32-w48-1.json
b "f32 base 2" ./omnimoe-t bench --dtype f32 --json $R/f32-base-2.json
b "f32 w48 2" ./omnimoe-w48 bench --dtype f32 --json $R/f32-w48-2.json
tar -C $R -czf $OUT/r113.tgz .
grep -E "^(==|rc=)" $L
grep "VEC4 TK" $R/stats-gemm-w48.txt | grep -v "COLS\|DB\|ADD" 
for f in $R/f32-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d['gemm_tuning']: print('   ', g['shape'], ' '.join('%.4f'%c['ms'] for c in g['candidates_ms']))
"; done
