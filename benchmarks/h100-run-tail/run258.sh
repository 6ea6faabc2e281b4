#!/bin/bash
# Timing only, 16 tokens (the few-token chain): the expert stage summing the down projection's 16 ranges
# with all sixteen loads in flight (OMNIMOE_BASE16=1, `base16.diff`; the same additions) beside four at a
# time, and the skinny kernel's workgroup target at 64 and 256 (OMNIMOE_SKINNY_WGS; 128 the default):
# one layer and a stack of 4, two rounds; each stage of a stack of 4 timed alone, base and BASE16.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r258; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
b "base $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/base-$r.json
OMNIMOE_BASE16=1 b "base16 $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/base16-$r.json
OMNIMOE_SKINNY_WGS=64 b "wgs64 $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/wgs64-$r.json
OMNIMOE_SKINNY_WGS=256 b "wgs256 $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/wgs256-$r.json
done
OMNIMOE_STACK_STAGES=1 b "stages base" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4
OMNIMOE_STACK_STAGES=1 OMNIMOE_BASE16=1 b "stages base16" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4
tar -C $R -czf $OUT/r258.tgz .
grep -E "^(==|stack stage|panicked)" $L | grep -v "^== [bw]" | cut -c1-200
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-14s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
