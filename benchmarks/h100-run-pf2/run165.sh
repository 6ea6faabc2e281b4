#!/bin/bash
# The session's final build (the skinny kernel's coalesced loads, from 2 tokens; gemm_stream in token
# sweeps): GPU tests; the f16 bench (stack of 4), two token sweeps, the f32 bench.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r165; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "f16" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16.json
b "sweep 1" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-1.json --plot $R/tokens-1.svg
b "sweep 2" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-2.json
b "f32" ./omnimoe-final bench --dtype f32 --json $R/f32.json
tar -C $R -czf $OUT/r165.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f16.json $R/f32.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('stack') and round(d['stack']['gpu_ms_per_layer'],4))
"; done
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
for p in d['sweep']:
    for g in p.get('gemm_stream',[]):
        print('   T=%d %s %.4f ms %.0f GB/s %s x%d'%(p['tokens'],g['gemm'],g['ms'],g['weight_gbps'],g['kernel'][:40],g['splits']))
"; done
