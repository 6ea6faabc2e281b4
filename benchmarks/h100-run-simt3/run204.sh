#!/bin/bash
# The SIMT GEMM's SwiGLU variant (gate/up) walking its tiles column by column (cw: COLWALK, the grid
# swapped on the host; the plain and ADD variants keep their order and code) beside dc6b44a (cur). GPU
# tests with cw; f32 benches two rounds interleaved; SIMT f16 one round each; then h100-f32.json and
# h100-f16-simt.json from cw.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
V="cur cw"
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared $(for v in $V; do echo omnimoe-$v; done); do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r204; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  for v in $V; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
for v in cur cw; do OMNIMOE_NO_COOP=1 b "f16 simt $v" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v.json; done
b "f32 final" ./omnimoe-cw bench --dtype f32 --json $R/h100-f32.json
OMNIMOE_NO_COOP=1 b "f16 simt final" ./omnimoe-cw bench --dtype f16 --json $R/h100-f16-simt.json
tar -C $R -czf $OUT/r204.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json $R/h100*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
