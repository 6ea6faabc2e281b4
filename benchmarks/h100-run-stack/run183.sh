#!/bin/bash
# The session's final build (no kernel change; the bench's stacks of distinct layers): GPU tests, the f16
# bench with a stack of 4, two token sweeps with a stack of 4 at every point (the first plotted).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r183; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "f16" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16.json
B="./omnimoe-final bench --dtype f16 --sweep tokens --layers 4 --runs 20"
b "sweep 1" $B --json $R/tokens-1.json --plot $R/tokens-1.svg
b "sweep 2" $B --json $R/tokens-2.json
tar -C $R -czf $OUT/r183.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
python3 -c "
import json
d=json.load(open('$R/f16.json'))
print('f16 layer %.4f'%d['layer_ms'], d.get('stack') and round(d['stack']['gpu_ms_per_layer'],4))
"
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(14), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' stack/layer   ', ' '.join('%d:%.4f'%(p['tokens'],p['stack']['gpu_ms_per_layer']) for p in d['sweep'] if p.get('stack')))
print(' stream        ', ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
print(' wall-gpu/floor', ' '.join('%d:%.3f/%.3f'%(p['tokens'],p['layer_wall_spin_ms']-p['layer_ms'],p['empty_submit_spin_ms']) for p in d['sweep']))
"; done
