#!/bin/bash
# Timing only (wrong results): the SIMT GEMM's plain and partial-product stores at permuted columns
# (PERM, OMNIMOE_SIMT_PERM=1, perm.diff: column 32a + 4b + j at 32a + 8j + b, so that each store
# instruction writes whole 32-byte sectors with the epilogue's code as it is) beside the stores as built,
# one binary: f32 (two rounds) and f16 without tensor cores (one), 4096 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-q; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r235; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
b "f32 off $r" ./omnimoe-q bench --dtype f32 --json $R/f32-off-$r.json
OMNIMOE_SIMT_PERM=1 b "f32 perm $r" ./omnimoe-q bench --dtype f32 --json $R/f32-perm-$r.json
done
OMNIMOE_NO_COOP=1 b "f16simt off" ./omnimoe-q bench --dtype f16 --json $R/f16simt-off-1.json
OMNIMOE_NO_COOP=1 OMNIMOE_SIMT_PERM=1 b "f16simt perm" ./omnimoe-q bench --dtype f16 --json $R/f16simt-perm-1.json
tar -C $R -czf $OUT/r235.tgz .
grep -E "^(==|rc=|panicked)" $L | paste - - | cut -c1-160 | grep -v "rc=0"
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('%-20s layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items())))
for t in d.get('gemm_tuning') or []:
    print('   ', t['shape'], ' '.join('%.3f'%c['ms'] for c in t['candidates_ms']), '->', t['chosen'][28:])
"; done
