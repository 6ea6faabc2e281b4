#!/bin/bash
# The SIMT GEMM's global loads (noglobal in run192: −11..14% without them): branch-free bounds (sel:
# an in-bounds index and a select instead of early returns), the next step's loads issued before the
# barrier instead of after it (early), both (selearly; GEMM proptest on it), beside f05195b (cur); two
# rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-cur omnimoe-sel omnimoe-early omnimoe-selearly gpu_gemm_selearly pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r193; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for v in cur sel early selearly; do ./pipeline_stats gemm=wgsl/gemm_$v.wgsl > $R/stats-$v.txt 2>&1; done
b "test gpu_gemm selearly" ./gpu_gemm_selearly --test-threads 4
for i in 1 2; do
  for v in cur sel early selearly; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
tar -C $R -czf $OUT/r193.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for v in cur sel early selearly; do echo "-- $v"; grep -E "^gemm f32 (VEC4|COLS ROUTER SWIGLU VEC4)( |TK)" $R/stats-$v.txt | cut -c1-100; done
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
