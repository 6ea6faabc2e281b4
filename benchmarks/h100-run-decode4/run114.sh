#!/bin/bash
# SIMT GEMM, timing-only variants (wrong results): diaglds (half the workgroup-memory loads: a1, b1 swizzled
# from a0, b0), diagnog (no global loads in the loop: the first block over and over), beside base (a240115).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-diaglds omnimoe-diagnog; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r114; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for i in 1 2; do for v in t diaglds diagnog; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done; done
tar -C $R -czf $OUT/r114.tgz .
grep -E "^(==|rc=)" $L | paste - - 
for f in $R/f32-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'])
for g in d['gemm_tuning']: print('   ', g['shape'], ' '.join('%.4f'%c['ms'] for c in g['candidates_ms']))
"; done
