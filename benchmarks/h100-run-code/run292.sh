#!/bin/bash
# Twenty-third session: the GEMV's lanes a column again now that its partial sums are padded (the lanes'
# sums cost 16–64 conflicted steps before; run140 measured 16 chunks a lane slower, fewer not since).
# OMNIMOE_GEMV_LANES=16/32/64 fixes every GEMV's lanes (default: about eight chunks a lane, 16 for the
# gate/up GEMV's 128 chunks, 64 for the down projection's 512). HEAD's binary (bc1cd39), one token,
# a stack of 4, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-f.xz; chmod +x omnimoe-f
R=/tmp/r292; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r292.tgz .; }
for r in 1 2; do for l in default 16 32 64; do
  if [ $l = default ]; then e=; else e=$l; fi
  b "lanes $l" env OMNIMOE_GEMV_LANES=$e ./omnimoe-f bench --dtype f16 --layers 4 --tokens 1 --no-autotune --json $R/l$l-$r.json
done; done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
for f in $R/l*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
g=' | '.join('%s %.2f' % (x['gemm'], x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-14s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done | sort
