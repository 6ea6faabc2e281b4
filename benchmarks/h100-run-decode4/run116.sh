#!/bin/bash
# Expert stage with eight loads in flight a round (e8: lane_dot, the down projection's partial products and
# the experts' rows) against base (a240115): interleaved token sweeps, f16 and f32 README-config benches;
# GPU tests of the new build.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-e8 gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r116; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do for v in t e8; do b "sweep $v $i" ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json; done; done
for v in t e8; do b "f32 $v" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v.json; done
tar -C $R -czf $OUT/r116.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-150
for f in $R/tokens-*.json $R/f32-*.json; do python3 -c "
import json
d=json.load(open('$f'))
if 'sweep' in d and d['sweep']:
    print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
    print('   ex', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('expert_token',0)) for p in d['sweep']))
else:
    print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
"; done
