#!/bin/bash
# Prefetch of the next GEMM's weights into L2 (shaders/prefetch.wgsl): GPU tests, then token sweeps with a
# stack of 4 distinct layers at every point, prefetch on (default) and off.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-pf gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r179; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "sweep both" ./omnimoe-pf bench --dtype f16 --sweep tokens --layers 4 --runs 20 --json $R/tokens-both.json
b "sweep off" env OMNIMOE_PREFETCH=off ./omnimoe-pf bench --dtype f16 --sweep tokens --layers 4 --runs 20 --json $R/tokens-off.json
tar -C $R -czf $OUT/r179.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(16), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' stack/layer    ', ' '.join('%d:%.4f'%(p['tokens'],p['stack']['gpu_ms_per_layer']) for p in d['sweep'] if p.get('stack')))
print(' stages         ', ' '.join('%d:%s'%(p['tokens'],'/'.join('%.1f'%(v*1e3) for k,v in sorted(p['stages'].items()))) for p in d['sweep'] if p['tokens']<=256))
"; done
