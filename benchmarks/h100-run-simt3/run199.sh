#!/bin/bash
# The SIMT GEMM's SwiGLU epilogue by quads of columns only (sq: plain and ADD stores scalar again, after
# run198's plain stores by quads made the down projection slower) beside 2b866e9 (cur). GPU tests with sq;
# f32 benches two rounds interleaved; SIMT f16 one round each; then h100-f32.json and h100-f16-simt.json
# from sq.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
V="cur sq"
cd .dev; for x in pipeline_stats gpu_stages gpu_gemm gpu_layer gpu_prepared $(for v in $V; do echo omnimoe-$v; done); do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r199; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
./pipeline_stats gemm=wgsl/gemm_sq.wgsl > $R/stats-sq.txt 2>&1
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  for v in $V; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
for v in cur sq; do OMNIMOE_NO_COOP=1 b "f16 simt $v" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v.json; done
b "f32 final" ./omnimoe-sq bench --dtype f32 --json $R/h100-f32.json
OMNIMOE_NO_COOP=1 b "f16 simt final" ./omnimoe-sq bench --dtype f16 --json $R/h100-f16-simt.json
tar -C $R -czf $OUT/r199.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -E "^gemm f32 (VEC4|ADD VEC4|COLS QUADS ROUTER SWIGLU VEC4|QUADS SWIGLU VEC4)( |TK)" $R/stats-sq.txt | cut -c1-100
for f in $R/f*.json $R/h100*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
