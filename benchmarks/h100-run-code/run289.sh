#!/bin/bash
# Twenty-third session: the GEMV against the skinny kernel at 2–8 tokens again, now that the GEMV's
# partial sums are off one bank (2ea9f31; SKINNY_FROM_M = 2 was measured with the GEMV before it).
# OMNIMOE_SKINNY=off keeps the layer on the GEMV up to 16 rows. HEAD's binary, stack of 4, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-f.xz; chmod +x omnimoe-f
R=/tmp/r289; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r289.tgz .; }
for r in 1 2; do for tk in 2 3 4 8; do for m in skinny off; do
  b "T=$tk $m" env OMNIMOE_SKINNY=$m ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-$m-$r.json
done; done; done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
g=' | '.join('%s %s x%d %.2f' % (x['gemm'], x['kernel'][:22], x['splits'], x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-16s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done | sort -t- -k1,1 -k3
