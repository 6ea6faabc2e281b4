#!/bin/bash
# The session's final build (f16 kernels unchanged, SIMT layout w48, split_within shared by layer and
# autotune): GPU tests; a token sweep beside the previous session's build (t = a240115) and the f16/f32
# README-config benches.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-final gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r123; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "sweep final" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-final.json
b "sweep t" ./omnimoe-t bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-t.json
b "f16 final" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16-final.json
b "f32 final" ./omnimoe-final bench --dtype f32 --json $R/f32-final.json
tar -C $R -czf $OUT/r123.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json $R/f*-final.json; do python3 -c "
import json
d=json.load(open('$f'))
if d.get('sweep'):
    print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
else:
    print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
"; done
