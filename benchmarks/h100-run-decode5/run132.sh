#!/bin/bash
# The final build at T = 32, 64, 128 with split-K aiming at 128 (default), 192 and 256 workgroups
# (OMNIMOE_SPLIT_K_WGS): does the gate/up GEMM on 64 x 128 tiles (65 tiles at T=64, unsplit) gain from a split?
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r132; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for i in 1 2; do for t in 64 32 128; do for w in 128 192 256; do
OMNIMOE_SPLIT_K_WGS=$w b "t$t w$w $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-w$w-$i.json
done; done; done
tar -C $R -czf $OUT/r132.tgz .
grep -E "^(==|rc=|panicked)" $L | paste - - | cut -c1-100 | head -40
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
