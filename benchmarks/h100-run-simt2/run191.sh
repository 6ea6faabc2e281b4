#!/bin/bash
# The SIMT GEMM's staged block without the XOR at K step 16 (sub16): k rows in groups of 8, 33 vec4s
# apart, the second group 266 vec4s on (workgroup arrays sized by override), beside run190's pad8 (the
# build committed as aa3c52e). GEMM proptest on sub16; registers; f32 benches, two rounds interleaved;
# SIMT f16 (OMNIMOE_NO_COOP=1) one round each.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-pad8 omnimoe-sub16 gpu_gemm_sub16 pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r191; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for v in pad8 sub16; do ./pipeline_stats gemm=wgsl/gemm_$v.wgsl > $R/stats-$v.txt 2>&1; done
b "test gpu_gemm sub16" ./gpu_gemm_sub16 --test-threads 4
for i in 1 2; do
  for v in pad8 sub16; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
for v in pad8 sub16; do OMNIMOE_NO_COOP=1 b "f16 simt $v" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v.json; done
tar -C $R -czf $OUT/r191.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for v in pad8 sub16; do echo "-- $v"; grep -E "^gemm f32 (VEC4|COLS ROUTER SWIGLU VEC4|DB VEC4)( |TK)" $R/stats-$v.txt | cut -c1-120; done
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
