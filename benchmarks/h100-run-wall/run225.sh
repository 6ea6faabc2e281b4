#!/bin/bash
# The SIMT split for 64-255 tiles (was 64-127: the gate/up GEMM of 256 tokens, 130 tiles, now in two
# ranges) beside the build before it (run224's new build, "base"): token sweeps of f32 and f16 without
# tensor cores.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-n; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r225; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for v in base n; do
b "f32 $v" ./omnimoe-$v bench --dtype f32 --sweep tokens --json $R/tok-f32-$v.json
OMNIMOE_NO_COOP=1 b "f16simt $v" ./omnimoe-$v bench --dtype f16 --sweep tokens --json $R/tok-f16simt-$v.json
done
tar -C $R -czf $OUT/r225.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1])
for p in d['sweep']:
    print('  T=%-5d layer %.4f  %s'%(p['tokens'], p['layer_ms'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in p['stages'].items())))
"; done
