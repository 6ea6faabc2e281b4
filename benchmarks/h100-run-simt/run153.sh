#!/bin/bash
# gemm_coop's chunks kept as halves from the global loads to workgroup memory (two vec4<f16> loads a
# chunk; was one vec4<u32> load, unpack2x16float to f32 and back to f16). Probe: the new WGSL builds
# (wgsl_*, through wgpu) beside naga's SPIR-V of the previous source (naga_*), glslang's (khr_*) and
# glslang's with the same f32 round trip (khrr_*). Then GPU tests; the f16 bench (stack of 4) beside the
# eighth session's build; a token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=warn
cd .dev; for x in khr_probe omnimoe-final omnimoe-base8 gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r153; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "probe" ./khr_probe khr 2
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "f16 base" ./omnimoe-base8 bench --dtype f16 --json $R/f16-base.json
b "f16 new" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16-new.json
b "f16 base 2" ./omnimoe-base8 bench --dtype f16 --json $R/f16-base-2.json
b "f16 new 2" ./omnimoe-final bench --dtype f16 --json $R/f16-new-2.json
b "sweep" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens.json
tar -C $R -czf $OUT/r153.tgz .
grep -E "^(==|rc=|test result|panicked|4096x)" $L | cut -c1-160
for f in $R/f16*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('stack') and round(d['stack']['gpu_ms_per_layer'],4))
for g in d.get('gemm_tuning',[]):
    c=sorted(g['candidates_ms'], key=lambda c:c['ms'])[:3]
    print('   ', g['shape'], ' '.join('%s:%.4f'%(x['kernel'].replace('Coop(CoopConfig { ','')[:44],x['ms']) for x in c))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens.json'))
print(' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
"
