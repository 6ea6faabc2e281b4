#!/bin/bash
# Weights by K slabs (the SIMT kernel and the GEMV read B in slabs of 8 k; the layer uploads its dense
# weights so where its GEMMs run on the SIMT kernel), beside the same binary with OMNIMOE_NO_SLABS=1
# (rows, as before). GPU tests; f32 and SIMT f16 benches two rounds interleaved; the f16 tensor-core bench
# (slabs off there); then h100-f32.json and h100-f16-simt.json.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-s; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r211; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  OMNIMOE_NO_SLABS=1 b "f32 rows $i" ./omnimoe-s bench --dtype f32 --json $R/f32-rows-$i.json
  b "f32 slabs $i" ./omnimoe-s bench --dtype f32 --json $R/f32-slabs-$i.json
  OMNIMOE_NO_SLABS=1 OMNIMOE_NO_COOP=1 b "f16simt rows $i" ./omnimoe-s bench --dtype f16 --json $R/f16simt-rows-$i.json
  OMNIMOE_NO_COOP=1 b "f16simt slabs $i" ./omnimoe-s bench --dtype f16 --json $R/f16simt-slabs-$i.json
done
b "f16 coop" ./omnimoe-s bench --dtype f16 --json $R/f16.json
b "f32 final" ./omnimoe-s bench --dtype f32 --json $R/h100-f32.json
OMNIMOE_NO_COOP=1 b "f16 simt final" ./omnimoe-s bench --dtype f16 --json $R/h100-f16-simt.json
tar -C $R -czf $OUT/r211.tgz .
grep -E "^(==|rc=|test result|panicked|thread)" $L | cut -c1-200
for f in $R/f*.json $R/h100*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stages']
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], ' '.join('%s=%.4f'%(k,v) for k,v in s.items()))
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], g['chosen'] if 'chosen' in g else '', ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
