#!/bin/bash
# f05195b (cur) on the H100: GPU tests; the SIMT GEMM taken apart beside it: each k's operands read a k
# ahead (pf8), no global loads after the first block (noglobal: timing only, wrong results), the same
# kernel with 248 unused vec4s more in each array (fat: K8's footprint as before f05195b, 16 KiB);
# registers of each; then h100-f32.json and h100-f16-simt.json regenerated with cur.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-cur omnimoe-pf8 omnimoe-noglobal omnimoe-fat gpu_stages gpu_gemm gpu_layer gpu_prepared pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r192; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for v in cur pf8 noglobal fat; do ./pipeline_stats gemm=wgsl/gemm_$v.wgsl > $R/stats-$v.txt 2>&1; done
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  for v in cur pf8 fat; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done
done
b "f32 noglobal" ./omnimoe-noglobal bench --dtype f32 --json $R/f32-noglobal.json
b "f32 final" ./omnimoe-cur bench --dtype f32 --json $R/h100-f32.json
OMNIMOE_NO_COOP=1 b "f16 simt final" ./omnimoe-cur bench --dtype f16 --json $R/h100-f16-simt.json
tar -C $R -czf $OUT/r192.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for v in cur pf8 noglobal fat; do echo "-- $v"; grep -E "^gemm f32 (VEC4|COLS ROUTER SWIGLU VEC4)( |TK)" $R/stats-$v.txt | cut -c1-120; done
for f in $R/f*.json $R/h100*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace('Simt { f16: true, k_step: ','h').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
