#!/bin/bash
# f32 with the f16 build's staging (row8: each invocation loads a row's 32 bytes of a step, two 16-byte
# loads, invocations 0..127 of A and 128..255 of B, and stores eight k rows of its operand), forced by
# OMNIMOE_ROW8=1 in a build of the VEC8 change (v8 = the same binary without it). GEMM proptest with row8;
# registers; f32 benches two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in pipeline_stats_row8 gpu_gemm_row8 omnimoe-row8; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r202; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
OMNIMOE_ROW8=1 ./pipeline_stats_row8 gemm=wgsl/gemm_row8.wgsl > $R/stats-row8.txt 2>&1
OMNIMOE_ROW8=1 b "test gpu_gemm row8" ./gpu_gemm_row8 --test-threads 4
for i in 1 2; do
  b "f32 v8 $i" ./omnimoe-row8 bench --dtype f32 --json $R/f32-v8-$i.json
  OMNIMOE_ROW8=1 b "f32 row8 $i" ./omnimoe-row8 bench --dtype f32 --json $R/f32-row8-$i.json
done
tar -C $R -czf $OUT/r202.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -E "^gemm f32 (ROW8 VEC4|ADD ROW8 VEC4|COLS QUADS ROUTER ROW8 SWIGLU VEC4|QUADS ROW8 SWIGLU VEC4)( |TK)" $R/stats-row8.txt | cut -c1-100
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
