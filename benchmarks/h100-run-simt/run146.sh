#!/bin/bash
# Ninth session: the SIMT GEMM's workgroup-memory stores swizzled (no bank conflicts). GPU tests with it
# (and with 340f4b7's fused-chain plumbing, not yet run on the H100); f32 and SIMT-f16 benches at the
# README config, the eighth session's final build (base) interleaved with this one.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-base8 gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r146; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  b "f32 base $i" ./omnimoe-base8 bench --dtype f32 --json $R/f32-base-$i.json
  b "f32 new $i" ./omnimoe-final bench --dtype f32 --json $R/f32-new-$i.json
done
OMNIMOE_NO_COOP=1 b "f16 simt base" ./omnimoe-base8 bench --dtype f16 --json $R/f16simt-base.json
OMNIMOE_NO_COOP=1 b "f16 simt new" ./omnimoe-final bench --dtype f16 --json $R/f16simt-new.json
b "f16 new" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16.json
tar -C $R -czf $OUT/r146.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { ','').replace(' }',''),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
