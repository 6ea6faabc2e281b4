#!/bin/bash
# Operands one k ahead: the last k of a step loading nothing (PFSKIP, OMNIMOE_SIMT_PFSKIP=1) beside
# loading its own row again (as built), one binary: f32 and f16 without tensor cores at 4096 tokens, two
# rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r231; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
b "f32 off $r" ./omnimoe-s bench --dtype f32 --json $R/f32-off-$r.json
OMNIMOE_SIMT_PFSKIP=1 b "f32 skip $r" ./omnimoe-s bench --dtype f32 --json $R/f32-skip-$r.json
OMNIMOE_NO_COOP=1 b "f16simt off $r" ./omnimoe-s bench --dtype f16 --json $R/f16simt-off-$r.json
OMNIMOE_NO_COOP=1 OMNIMOE_SIMT_PFSKIP=1 b "f16simt skip $r" ./omnimoe-s bench --dtype f16 --json $R/f16simt-skip-$r.json
done
tar -C $R -czf $OUT/r231.tgz .
grep -E "^(==|rc=|panicked)" $L | paste - - | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('%-20s layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items())))
for t in d.get('gemm_tuning') or []:
    print('   ', t['shape'], ' '.join('%.3f'%c['ms'] for c in t['candidates_ms']), '->', t['chosen'][28:])
"; done
