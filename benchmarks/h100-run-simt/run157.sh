#!/bin/bash
# The session's final build (the passthrough helper shared by the cooperative-matrix-2 kernel and the
# bitcast-halves builds): GPU tests; the f16 bench (stack of 4) and a token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r157; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "f16" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16.json
b "sweep" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens.json
tar -C $R -czf $OUT/r157.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
python3 -c "
import json
d=json.load(open('$R/f16.json'))
print('f16 layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, round(d['stack']['gpu_ms_per_layer'],4))
d=json.load(open('$R/tokens.json'))
print(' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
"
