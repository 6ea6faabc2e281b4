#!/bin/bash
# Prefetch split: the down weight only (with the GEMMs alone on one copy of their weights, from L2), the next layer's only, off again.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-pf; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r180; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "sweep down" env OMNIMOE_PREFETCH=down OMNIMOE_STREAM_COPIES=1 ./omnimoe-pf bench --dtype f16 --sweep tokens --layers 4 --runs 20 --json $R/tokens-down.json
b "sweep next" env OMNIMOE_PREFETCH=next ./omnimoe-pf bench --dtype f16 --sweep tokens --layers 4 --runs 20 --json $R/tokens-next.json
b "sweep off" env OMNIMOE_PREFETCH=off ./omnimoe-pf bench --dtype f16 --sweep tokens --layers 4 --runs 20 --json $R/tokens-off.json
tar -C $R -czf $OUT/r180.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(16), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' stack/layer    ', ' '.join('%d:%.4f'%(p['tokens'],p['stack']['gpu_ms_per_layer']) for p in d['sweep'] if p.get('stack')))
print(' stream         ', ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
print(' stages         ', ' '.join('%d:%s'%(p['tokens'],'/'.join('%.1f'%(v*1e3) for k,v in sorted(p['stages'].items()))) for p in d['sweep'] if p['tokens']<=256))
"; done
