#!/bin/bash
# Eighth session's build (424d60c: the skinny kernel's A staged eight chunks at a time, the gate/up GEMM's
# ~44 KiB STAGED build, the expert stage's score read early): GPU tests; token sweeps of this build, of the
# seventh session's final build (base) and of this build again; the f16 (stack of 4) and f32 benches at
# the README config.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-base gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r139; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "sweep 1" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-1.json
b "sweep base" ./omnimoe-base bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-base.json
b "sweep 2" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-2.json
b "f16" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16.json
b "f32" ./omnimoe-final bench --dtype f32 --json $R/f32.json
tar -C $R -czf $OUT/r139.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
if d.get('sweep'):
    print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
    print('   wall', ' '.join('%d:%.4f/%.4f'%(p['tokens'],p['layer_wall_ms'],p['layer_wall_spin_ms']) for p in d['sweep']))
else:
    print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('stack'))
"; done
