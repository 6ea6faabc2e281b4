#!/bin/bash
# Twenty-third session: router_experts' workgroups a token again (16 since the nineteenth session, 4
# measured then; 32 and 64 not, nor with SPREAD, nor with today's faster GEMVs beside and before it).
# OMNIMOE_RE_SLICES=16/32/64, HEAD's binary (1cbfb65), one token, stacks of 4 and 8, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-f.xz; chmod +x omnimoe-f
R=/tmp/r296; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r296.tgz .; }
for r in 1 2; do for s in 16 32 64; do for l in 4 8; do
  b "slices $s L$l" env OMNIMOE_RE_SLICES=$s ./omnimoe-f bench --dtype f16 --layers $l --tokens 1 --no-autotune --json $R/s$s-l$l-$r.json
done; done; done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
for f in $R/s*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
print('%-14s layer %.4f stack/layer %.4f' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0)))
"; done | sort
