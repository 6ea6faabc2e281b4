#!/bin/bash
# Router top-k by subgroup with its loops' bounds as constants (R = 64, K = 16, 50 candidates, subgroups of
# 32: timing-only, right at the README config alone) against the current build (w48): f16 bench at the
# README config, router_variants_ms, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-w48 omnimoe-rconst; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r121; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for i in 1 2; do for v in w48 rconst; do b "f16 $v $i" ./omnimoe-$v bench --dtype f16 --json $R/f16-$v-$i.json; done; done
tar -C $R -czf $OUT/r121.tgz .
grep -E "^(==|rc=)" $L | paste - -
for f in $R/f16-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], 'router %.4f'%d['stages']['router_topk'], {k:round(v,4) for k,v in d['router_variants_ms'].items()})
"; done
