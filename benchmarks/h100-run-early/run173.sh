#!/bin/bash
# The final build: 64 x 64 tiles at K step 128 for up to 64 rows (the untuned default there and among
# the autotune's candidates; the autotune's choices kept apart for up to 64, up to 256 and more rows).
# GPU tests; the f16 bench (stack of 4); token sweeps: base (b7627fb), final twice (the first plotted),
# final without the autotune; the f32 bench.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-final gpu_stages gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r173; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "f16" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16.json
b "sweep base" ./omnimoe-base bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-base.json
b "sweep 1" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-1.json --plot $R/tokens-1.svg
b "sweep untuned" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --no-autotune --json $R/tokens-untuned.json
b "sweep 2" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-2.json
b "f32" ./omnimoe-final bench --dtype f32 --json $R/f32.json
tar -C $R -czf $OUT/r173.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f16.json $R/f32.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('stack') and round(d['stack']['gpu_ms_per_layer'],4))
"; done
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(20), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' '*20, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
print(' '*20, ' | '.join('%d:%s/%s'%(p['tokens'],p['gemm_stream'][0]['kernel'][12:40],p['gemm_stream'][1]['kernel'][12:40]) for p in d['sweep'] if p.get('gemm_stream') and p['tokens']>=32))
print(' '*20, ' '.join('%d:%.3f/%.3f/%.3f'%(p['tokens'],p['layer_wall_spin_ms']-p['layer_ms'],p['empty_submit_spin_ms'],p['layer_wall_ms']-p['layer_ms']) for p in d['sweep']))
"; done
