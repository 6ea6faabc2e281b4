#!/bin/bash
# Twenty-third session, the final build (c4551c5: the GEMV's padded partial sums and its lanes for ~1024
# workgroups): gpu_stages, then the token sweep (`h100-tokens-f16.json` + svg).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r295; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r295.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_stages" ./gpu_stages --test-threads 4
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result|panicked|thread)" $L | cut -c1-220
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']:
    s=p.get('stack') or {}
    g=' / '.join('%.1f' % (x['ms']*1000) for x in p.get('gemm_stream', []))
    print('T=%-5d gpu %.4f stack %.4f wall %.4f (%.4f) spin %.4f (%.4f) | %s' % (p['tokens'], p['layer_ms'], s.get('gpu_ms_per_layer', 0), p['layer_wall_ms'], p['layer_wall_ms']-p['layer_ms'], p['layer_wall_spin_ms'], p['layer_wall_spin_ms']-p['layer_ms'], g))
"
