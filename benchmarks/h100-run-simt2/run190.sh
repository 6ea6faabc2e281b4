#!/bin/bash
# The SIMT GEMM at K step 8 with rows of the staged block 33 vec4s apart (pad8: the step's scalar stores
# off their 2-way bank conflict), and pad8 with each k's operands read while the previous k's are
# multiplied (pf), beside run188's build (lane). GEMM proptest on both; registers (pipeline_stats on each
# file); f32 benches, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-lane omnimoe-pad8 omnimoe-pf gpu_gemm_pad8 gpu_gemm_pf pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r190; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for v in lane pad8 pf; do ./pipeline_stats gemm=wgsl/gemm_$v.wgsl > $R/stats-$v.txt 2>&1; done
for v in pad8 pf; do b "test gpu_gemm $v" ./gpu_gemm_$v --test-threads 4; done
for i in 1 2; do
  for v in lane pad8 pf; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
tar -C $R -czf $OUT/r190.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for v in lane pad8 pf; do echo "-- $v"; grep -E "^gemm f32 (VEC4|SWIGLU|COLS ROUTER SWIGLU VEC4|ADD VEC4|DB VEC4)( |TK)" $R/stats-$v.txt | cut -c1-90; done
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
