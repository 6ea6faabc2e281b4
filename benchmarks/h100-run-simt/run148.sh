#!/bin/bash
# Ninth session: the SIMT GEMM's stores swizzled at K step 16 only (at 8 the XOR on every load cost more
# than the 2-way conflicts it removed, run146). GPU tests; f32 benches beside the eighth session's final
# build (base), two rounds interleaved; SIMT f16 beside base; f16 (stack of 4); a token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-base8 gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r148; mkdir -p $R; L=$R/log.txt
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
b "sweep" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens.json
tar -C $R -czf $OUT/r148.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('stack') and round(d['stack']['gpu_ms_per_layer'],4))
for g in d.get('gemm_tuning',[]):
    print('   ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'].replace('Simt { ','').replace(' }',''),c['ms']) for c in g['candidates_ms'] if 'Simt' in c['kernel']))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens.json'))
print(' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('wall/spin/empty/emptyspin', ' '.join('%d:%.3f/%.3f/%.3f/%.3f'%(p['tokens'],p['layer_wall_ms'],p['layer_wall_spin_ms'],p['empty_submit_ms'],p['empty_submit_spin_ms']) for p in d['sweep']))
"
