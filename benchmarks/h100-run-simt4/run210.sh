#!/bin/bash
# Timing only (wrong results), after run209 found B read by K slabs of 8 faster: slab widths for B
# (b8, b16, b32: element (r, k) at (k/W)·rows·W + r·W + k%W) and A by slabs of 16 or 32 beside B by 8;
# with f16 storage without tensor cores (VEC8), B (h) and A (g) by slabs of 8. One binary,
# OMNIMOE_X_SLAB choosing; cur = none. f32 two rounds interleaved, SIMT f16 one.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-x; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r210; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do
  for v in cur b8 "a16 b8" "a32 b8" b16 b32; do n=${v// /_}; OMNIMOE_X_SLAB="$v" b "f32 $n $i" ./omnimoe-x bench --dtype f32 --json $R/f32-$n-$i.json; done
done
for v in cur h "h g"; do n=${v// /_}; OMNIMOE_NO_COOP=1 OMNIMOE_X_SLAB="$v" b "f16simt $n" ./omnimoe-x bench --dtype f16 --json $R/f16simt-$n.json; done
tar -C $R -czf $OUT/r210.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | paste - - | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stages']
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], ' '.join('%s=%.4f'%(k,v) for k,v in s.items() if 'dense' in k))
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel'] and 'false }' in c['kernel'] and '8,' in c['kernel']))
"; done
