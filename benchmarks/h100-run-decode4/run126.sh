#!/bin/bash
# Timing-only: the skinny kernel's ACT staging without reading the gate/up GEMM's partial products
# (actzero: A = 0), beside the final build: what the fused chain's staging of A costs at T = 5..16.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-actzero; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r126; mkdir -p $R; L=$R/log.txt
for i in 1 2; do for v in final actzero; do echo "== $v $i" >> $L; timeout 200 ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json >> $L 2>&1; echo "rc=$?" >> $L; done; done
tar -C $R -czf $OUT/r126.tgz .
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep'][:6]
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms'] or 0) for p in s))
print('   dn', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down') or 0) for p in s))
"; done
