#!/bin/bash
# The SIMT GEMM (f32) taken apart further beside 2b866e9 (cur): timing only (wrong results), each step's
# block of B (tiledb) or of A and B (tiledab) read as if stored contiguously (a tiled layout in device
# memory: 4 cache lines a subgroup load instead of 16), and no epilogue (nostore); and a real candidate,
# K step 16 double buffered with each operand's next block fetched and stored in two halves (k16s: one
# vec4 of each in flight a lane, one barrier a step), with the GEMM proptest on it. Two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
V="cur tiledb tiledab nostore k16s"
cd .dev; for x in pipeline_stats gpu_gemm_k16s $(for v in $V; do echo omnimoe-$v; done); do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r197; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for v in cur k16s tiledab nostore; do ./pipeline_stats gemm=wgsl/gemm_$v.wgsl > $R/stats-$v.txt 2>&1; done
b "test gpu_gemm k16s" ./gpu_gemm_k16s --test-threads 4
for i in 1 2; do
  for v in $V; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
tar -C $R -czf $OUT/r197.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for v in cur k16s tiledab nostore; do echo $v; grep -E "^gemm f32 (VEC4|COLS ROUTER SWIGLU VEC4|ADD VEC4|DB VEC4|ADD DB VEC4)( |TK)" $R/stats-$v.txt | cut -c1-100; done
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
