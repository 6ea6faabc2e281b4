#!/bin/bash
# The SIMT GEMM's plain, ADD and partial-product stores through workgroup memory in row order (COAL,
# OMNIMOE_SIMT_COAL=1: each store instruction whole 32-byte sectors) beside the stores of each
# invocation's own columns, one binary (run228's build and this): f32 and f16 without tensor cores at
# 4096 tokens, two rounds interleaved, and token sweeps of both.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-c; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r229; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
b "f32 off $r" ./omnimoe-c bench --dtype f32 --json $R/f32-off-$r.json
OMNIMOE_SIMT_COAL=1 b "f32 coal $r" ./omnimoe-c bench --dtype f32 --json $R/f32-coal-$r.json
OMNIMOE_NO_COOP=1 b "f16simt off $r" ./omnimoe-c bench --dtype f16 --json $R/f16simt-off-$r.json
OMNIMOE_NO_COOP=1 OMNIMOE_SIMT_COAL=1 b "f16simt coal $r" ./omnimoe-c bench --dtype f16 --json $R/f16simt-coal-$r.json
done
b "f32 sweep off" ./omnimoe-c bench --dtype f32 --sweep tokens --json $R/tok-f32-off.json
OMNIMOE_SIMT_COAL=1 b "f32 sweep coal" ./omnimoe-c bench --dtype f32 --sweep tokens --json $R/tok-f32-coal.json
OMNIMOE_NO_COOP=1 b "f16simt sweep off" ./omnimoe-c bench --dtype f16 --sweep tokens --json $R/tok-f16simt-off.json
OMNIMOE_NO_COOP=1 OMNIMOE_SIMT_COAL=1 b "f16simt sweep coal" ./omnimoe-c bench --dtype f16 --sweep tokens --json $R/tok-f16simt-coal.json
tar -C $R -czf $OUT/r229.tgz .
grep -E "^(==|rc=|panicked)" $L | paste - - | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('%-20s layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items())))
for t in d.get('gemm_tuning') or []:
    print('   ', t['shape'], ' '.join('%.3f'%c['ms'] for c in t['candidates_ms']), '->', t['chosen'][28:])
"; done
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'], p['layer_ms']) for p in d['sweep']))
print('   down', ' '.join('%d:%.4f'%(p['tokens'], p['stages'].get('dense_down', 0)) for p in d['sweep']))
"; done
