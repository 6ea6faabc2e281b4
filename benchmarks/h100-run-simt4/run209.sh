#!/bin/bash
# Timing only (wrong results): the SIMT f32 GEMM's operands read as if laid out in device memory by K
# slabs (a: A, b: B; element (r, k) at (k/8)·rows·8 + r·8 + k%8, so a step's block of 128 rows is 4 KB
# contiguous and all tiles at one step read one contiguous region) or by row tiles (A, B: tile-major,
# each tile's steps 4 KB apart: what run197's tiledb/tiledab read, with cheaper index math). One binary,
# OMNIMOE_X_SLAB choosing; cur = none. Registers; f32 benches two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in pipeline_stats omnimoe-x; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r209; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for v in ab AB; do OMNIMOE_X_SLAB=$v ./pipeline_stats gemm > $R/stats-$v.txt 2>&1; done
./pipeline_stats gemm > $R/stats-cur.txt 2>&1
for i in 1 2; do
  for v in cur a b ab A B AB; do OMNIMOE_X_SLAB=$v b "f32 $v $i" ./omnimoe-x bench --dtype f32 --json $R/f32-$v-$i.json; done
done
tar -C $R -czf $OUT/r209.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for v in cur ab AB; do echo "-- $v"; grep -E "^gemm f32 " $R/stats-$v.txt | grep -v SPLITK | cut -c1-110 | head -12; done
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stages']
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], ' '.join('%s=%.4f'%(k,v) for k,v in s.items() if 'gemm' in k or 'down' in k or 'gate' in k))
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { f16: false, k_step: ','').replace(' }','').replace(', double_buffer: ','/'),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
