#!/bin/bash
# SIMT f16: VEC8's stores through one helper that picks A's or B's block per store (v8h), instead of two
# branches of eight stores, beside 7e199fe (cur; the same kernel as 81d597a). SIMT f16 benches two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
V="cur v8h"
cd .dev; for x in $(for v in $V; do echo omnimoe-$v; done); do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r207; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do
  for v in $V; do OMNIMOE_NO_COOP=1 b "f16 simt $v $i" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v-$i.json; done
done
tar -C $R -czf $OUT/r207.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
