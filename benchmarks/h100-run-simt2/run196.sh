#!/bin/bash
# The SIMT GEMM at K step 32 without prefetch (k32: each step's blocks loaded whole, 4 rows × 128 bytes a
# subgroup load, then stored and multiplied; 34 KiB), a new autotune candidate, beside 3ab6c9f (cur).
# GEMM proptest on k32; registers; f32 benches two rounds interleaved; SIMT f16 one round each.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-cur omnimoe-k32 gpu_gemm_k32 pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r196; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
./pipeline_stats gemm=wgsl/gemm_k32.wgsl > $R/stats-k32.txt 2>&1
b "test gpu_gemm k32" ./gpu_gemm_k32 --test-threads 4
for i in 1 2; do
  for v in cur k32; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
for v in cur k32; do OMNIMOE_NO_COOP=1 b "f16 simt $v" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v.json; done
tar -C $R -czf $OUT/r196.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -E "^gemm f32 (VEC4|COLS ROUTER SWIGLU VEC4)( |TK)" $R/stats-k32.txt | cut -c1-130
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
