#!/bin/bash
# Twenty-third session: the workgroup targets that choose K ranges, measured again with today's kernels
# (both were set when the layer took 0.04–0.1 ms at these T). OMNIMOE_SKINNY_WGS (the skinny kernel,
# 8–16 tokens; default 128) and OMNIMOE_SPLIT_K_WGS (split-K of the tensor-core tiles, 32–256 tokens;
# default 128) at 128 / 256 / 384, a stack of 4, HEAD's binary, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-b.xz; chmod +x omnimoe-b
R=/tmp/r286; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r286.tgz .; }
for r in 1 2; do
  for tk in 8 16; do for w in 128 256 384; do
    b "T=$tk skinny $w" env OMNIMOE_SKINNY_WGS=$w ./omnimoe-b bench --dtype f16 --layers 4 --tokens $tk --json $R/t$tk-s$w-$r.json
  done; done
  for tk in 32 64 128 256; do for w in 128 256 384; do
    b "T=$tk split $w" env OMNIMOE_SPLIT_K_WGS=$w ./omnimoe-b bench --dtype f16 --layers 4 --tokens $tk --json $R/t$tk-k$w-$r.json
  done; done
done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
g=' | '.join('%s %s x%d %.1f' % (x['gemm'], x['kernel'][:34].replace('Coop(CoopConfig { tile: ',''), x['splits'], x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-14s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done | sort -t- -k1,1 -k3
