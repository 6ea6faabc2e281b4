#!/bin/bash
# Two more SIMT GEMM variants beside c21ac99 (cur): the step loop unrolled twice by hand (unroll2), and
# workgroups walking the output column-major (raster: consecutive workgroups share B's tile instead of
# A's; host grid swapped). GEMM proptest on each; registers; f32 benches, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-cur omnimoe-unroll2 omnimoe-raster gpu_gemm_unroll2 gpu_gemm_raster pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r194; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for v in cur unroll2 raster; do ./pipeline_stats gemm=wgsl/gemm_$v.wgsl > $R/stats-$v.txt 2>&1; done
for v in unroll2 raster; do b "test gpu_gemm $v" ./gpu_gemm_$v --test-threads 4; done
for i in 1 2; do
  for v in cur unroll2 raster; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
tar -C $R -czf $OUT/r194.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for v in cur unroll2 raster; do echo "-- $v"; grep -E "^gemm f32 (VEC4|COLS ROUTER SWIGLU VEC4)( |TK)" $R/stats-$v.txt | cut -c1-100; done
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
