#!/bin/bash
# The session's final build (weights by K slabs, the GEMV's slab mapping): GPU tests; token sweeps of the
# f32 layer and of the f16 layer without tensor cores, rows (OMNIMOE_NO_SLABS=1) beside slabs.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-s; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r216; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
OMNIMOE_NO_SLABS=1 b "f32 rows" ./omnimoe-s bench --dtype f32 --sweep tokens --json $R/tok-f32-rows.json
b "f32 slabs" ./omnimoe-s bench --dtype f32 --sweep tokens --json $R/tok-f32-slabs.json
OMNIMOE_NO_SLABS=1 OMNIMOE_NO_COOP=1 b "f16simt rows" ./omnimoe-s bench --dtype f16 --sweep tokens --json $R/tok-f16simt-rows.json
OMNIMOE_NO_COOP=1 b "f16simt slabs" ./omnimoe-s bench --dtype f16 --sweep tokens --json $R/tok-f16simt-slabs.json
tar -C $R -czf $OUT/r216.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1])
for p in d['sweep']:
    gs=' '.join('%s %.4f'%(g['gemm'],g['ms']) for g in (p.get('gemm_stream') or []))
    print('  T=%-5d layer %.4f  %s | %s'%(p['tokens'], p['layer_ms'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in p['stages'].items()), gs))
"; done
