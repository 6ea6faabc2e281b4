#!/bin/bash
# Stream-K for the SIMT down projection, second round: its partial tiles stored four columns a store
# (OMNIMOE_STREAMK_QUADS=1) beside scalar stores and beside no stream-K; f32 two rounds, f16 without
# tensor cores one.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-k; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r219; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
b "f32 base $r" ./omnimoe-k bench --dtype f32 --json $R/f32-base-$r.json
OMNIMOE_STREAMK=8 b "f32 sk8 $r" ./omnimoe-k bench --dtype f32 --json $R/f32-sk8-$r.json
OMNIMOE_STREAMK=8 OMNIMOE_STREAMK_QUADS=1 b "f32 sk8q $r" ./omnimoe-k bench --dtype f32 --json $R/f32-sk8q-$r.json
done
export OMNIMOE_NO_COOP=1
b "f16simt base" ./omnimoe-k bench --dtype f16 --json $R/f16simt-base-1.json
OMNIMOE_STREAMK=8 b "f16simt sk8" ./omnimoe-k bench --dtype f16 --json $R/f16simt-sk8-1.json
OMNIMOE_STREAMK=8 OMNIMOE_STREAMK_QUADS=1 b "f16simt sk8q" ./omnimoe-k bench --dtype f16 --json $R/f16simt-sk8q-1.json
tar -C $R -czf $OUT/r219.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
t=[round(c['ms'],4) for g in d['gemm_tuning'] for c in g['candidates_ms'] if g['shape'][1]==1024][:1]
print('%-22s layer %.4f staged %.4f '%('$f'.split('/')[-1], d['layer_ms'], d['layer_staged_ms']) + ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items()), t)
"; done
