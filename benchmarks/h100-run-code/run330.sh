#!/bin/bash
# Twenty-sixth session: the final build's token sweep (13c3564: two steps in flight in the 64- and 32-step
# builds, N a multiple of 32), once, for h100-tokens-f16.json.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r330; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r330.tgz .; }
for r in 1; do
  b "sweep $r" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16-$r.json
done
grep -E "^(== |rc=[1-9]|panicked)|stack of" $L | cut -c1-200
python3 -c "
import json, glob
for f in sorted(glob.glob('$R/tokens-f16-*.json')):
    print(f)
    for p in json.load(open(f))['sweep']:
        s = p.get('stack') or {}
        print('T=%-5d gpu %.4f stack %.4f wall %.4f (%.4f) spin %.4f (%.4f)' % (p['tokens'], p['layer_ms'], s.get('gpu_ms_per_layer', 0), p['layer_wall_ms'], p['layer_wall_ms']-p['layer_ms'], p['layer_wall_spin_ms'], p['layer_wall_spin_ms']-p['layer_ms']))
"
