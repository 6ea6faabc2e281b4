#!/bin/bash
# The SIMT GEMM with f16 storage loading a row's eight halves of a step in one 16-byte load (v8: VEC8,
# invocations 0..127 of A and 128..255 of B, eight f32 stores each into its operand's block) beside 56825f8
# (cur). GPU tests with v8; registers; SIMT f16 benches two rounds interleaved; f32 and f16 (tensor
# cores) one round each (their kernels are unchanged).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
V="cur v8"
cd .dev; for x in pipeline_stats gpu_stages gpu_gemm gpu_layer gpu_prepared $(for v in $V; do echo omnimoe-$v; done); do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r201; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
./pipeline_stats gemm=wgsl/gemm_v8.wgsl > $R/stats-v8.txt 2>&1
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  for v in $V; do OMNIMOE_NO_COOP=1 b "f16 simt $v $i" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v-$i.json; done
done
for v in $V; do b "f32 $v" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v.json; b "f16 $v" ./omnimoe-$v bench --dtype f16 --json $R/f16-$v.json; done
OMNIMOE_NO_COOP=1 b "f16 simt final" ./omnimoe-v8 bench --dtype f16 --json $R/h100-f16-simt.json
tar -C $R -czf $OUT/r201.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -E "^gemm f16 (VEC8|ADD VEC8|COLS QUADS ROUTER SWIGLU VEC8|VEC4|ADD VEC4)( |TK)" $R/stats-v8.txt | cut -c1-100
for f in $R/f*.json $R/h100*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
