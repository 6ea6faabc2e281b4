#!/bin/bash
# Stream-K's partial products with their columns permuted within groups of 32 (PERM / PERMUTED, as
# built) beside them by rows (OMNIMOE_NO_STREAM_K_PERM=1), one binary: GPU tests of the build, f32 and
# f16 without tensor cores at 4096 tokens (two rounds interleaved), token sweeps of both.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-n; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r236; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do
OMNIMOE_NO_STREAM_K_PERM=1 b "f32 rows $r" ./omnimoe-n bench --dtype f32 --json $R/f32-rows-$r.json
b "f32 perm $r" ./omnimoe-n bench --dtype f32 --json $R/f32-perm-$r.json
OMNIMOE_NO_COOP=1 OMNIMOE_NO_STREAM_K_PERM=1 b "f16simt rows $r" ./omnimoe-n bench --dtype f16 --json $R/f16simt-rows-$r.json
OMNIMOE_NO_COOP=1 b "f16simt perm $r" ./omnimoe-n bench --dtype f16 --json $R/f16simt-perm-$r.json
done
OMNIMOE_NO_STREAM_K_PERM=1 b "f32 sweep rows" ./omnimoe-n bench --dtype f32 --sweep tokens --json $R/tok-f32-rows.json
b "f32 sweep perm" ./omnimoe-n bench --dtype f32 --sweep tokens --json $R/tok-f32-perm.json
OMNIMOE_NO_COOP=1 OMNIMOE_NO_STREAM_K_PERM=1 b "f16simt sweep rows" ./omnimoe-n bench --dtype f16 --sweep tokens --json $R/tok-f16simt-rows.json
OMNIMOE_NO_COOP=1 b "f16simt sweep perm" ./omnimoe-n bench --dtype f16 --sweep tokens --json $R/tok-f16simt-perm.json
tar -C $R -czf $OUT/r236.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('%-20s layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items())))
for t in d.get('gemm_tuning') or []:
    print('   ', t['shape'], ' '.join('%.3f'%c['ms'] for c in t['candidates_ms']), '->', t['chosen'][60:])
"; done
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'], p['layer_ms']) for p in d['sweep']))
"; done
