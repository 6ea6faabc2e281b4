#!/bin/bash
# The SIMT GEMM with 128 invocations a 128 × 128 tile, each accumulating 8 × 16 (WIDE: six vec4 loads from
# workgroup memory a k for 128 fmas instead of four for 64), forced by OMNIMOE_SIMT_WIDE=1 on the K step 8
# single-buffered build, beside the same binary without it (56825f8, cur). GEMM proptest with WIDE;
# registers; f32 benches two rounds interleaved; SIMT f16 one round each.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in pipeline_stats_wide gpu_gemm_wide omnimoe-wide; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r200; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
OMNIMOE_SIMT_WIDE=1 ./pipeline_stats_wide gemm=wgsl/gemm_wide.wgsl > $R/stats-wide.txt 2>&1
OMNIMOE_SIMT_WIDE=1 b "test gpu_gemm wide" ./gpu_gemm_wide --test-threads 4
for i in 1 2; do
  b "f32 cur $i" ./omnimoe-wide bench --dtype f32 --json $R/f32-cur-$i.json
  OMNIMOE_SIMT_WIDE=1 b "f32 wide $i" ./omnimoe-wide bench --dtype f32 --json $R/f32-wide-$i.json
done
OMNIMOE_NO_COOP=1 b "f16 simt cur" ./omnimoe-wide bench --dtype f16 --json $R/f16simt-cur.json
OMNIMOE_NO_COOP=1 OMNIMOE_SIMT_WIDE=1 b "f16 simt wide" ./omnimoe-wide bench --dtype f16 --json $R/f16simt-wide.json
tar -C $R -czf $OUT/r200.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -E "^gemm f32 (WIDE VEC4|ADD WIDE VEC4|COLS QUADS ROUTER SWIGLU VEC4 WIDE|QUADS SWIGLU VEC4 WIDE)( |TK)" $R/stats-wide.txt | cut -c1-100
grep -E "WIDE" $R/stats-wide.txt | head -3 | cut -c1-100
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
