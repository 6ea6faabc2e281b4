#!/bin/bash
# Few rows on the SIMT kernel (f32, and f16 without tensor cores): split-K aiming at 128 workgroups (the
# default, tuned for the tensor-core tiles) against 256 and 512 (OMNIMOE_SPLIT_K_WGS, a measuring aid),
# token sweeps of the build of run221.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-k; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r222; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for w in 128 256 512; do
OMNIMOE_SPLIT_K_WGS=$w b "f32 wgs $w" ./omnimoe-k bench --dtype f32 --sweep tokens --json $R/tok-f32-$w.json
OMNIMOE_NO_COOP=1 OMNIMOE_SPLIT_K_WGS=$w b "f16simt wgs $w" ./omnimoe-k bench --dtype f16 --sweep tokens --json $R/tok-f16simt-$w.json
done
tar -C $R -czf $OUT/r222.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1])
for p in d['sweep']:
    print('  T=%-5d layer %.4f  %s'%(p['tokens'], p['layer_ms'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in p['stages'].items())))
"; done
