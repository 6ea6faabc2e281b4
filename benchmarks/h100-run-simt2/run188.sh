#!/bin/bash
# Thirteenth session: the SIMT GEMM's lanes interleaved 2 × 2 (lane bit 0 → tx bit 0, bit 1 → ty bit 0),
# so pairs of lanes read the same 16-byte A (n, n ^ 1) or B (n, n ^ 2) word. GPU tests (GEMM proptest,
# layer); f32 benches beside the twelfth session's final build (base), two rounds interleaved; SIMT f16.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-lane gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r188; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_gemm gpu_layer; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  b "f32 base $i" ./omnimoe-base bench --dtype f32 --json $R/f32-base-$i.json
  b "f32 lane $i" ./omnimoe-lane bench --dtype f32 --json $R/f32-lane-$i.json
done
OMNIMOE_NO_COOP=1 b "f16 simt base" ./omnimoe-base bench --dtype f16 --json $R/f16simt-base.json
OMNIMOE_NO_COOP=1 b "f16 simt lane" ./omnimoe-lane bench --dtype f16 --json $R/f16simt-lane.json
tar -C $R -czf $OUT/r188.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { ','').replace(' }',''),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
