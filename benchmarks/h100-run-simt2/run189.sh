#!/bin/bash
# The SIMT GEMM's step loop unrolled twice with DB, so that each step's block sits at a constant offset
# (db2; accumulators and prefetch registers private, the step a function), beside run188's build (lane),
# and the lane interleave the other way round (swap: A pairs n ^ 2, B pairs n ^ 1). GEMM proptest on db2;
# f32 benches, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-lane omnimoe-db2 omnimoe-swap gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r189; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_gemm (db2)" ./gpu_gemm --test-threads 4
for i in 1 2; do
  for v in lane db2 swap; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
tar -C $R -czf $OUT/r189.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
