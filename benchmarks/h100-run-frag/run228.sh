#!/bin/bash
# The SIMT GEMM with each k's operands read one k ahead (but stream-K builds) as built ("n") beside the
# build before it (HEAD 403e990, "base"): GPU tests of the new build, the f32 and f16-without-tensor-
# cores layers at 4096 tokens (two rounds interleaved) and token sweeps of both; the f32 layer at I=1024
# (the down projection at K=1024: its rate per K step beside the gate/up GEMM's).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-base omnimoe-n; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r228; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for v in base n; do
b "f32 $v $r" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$r.json
OMNIMOE_NO_COOP=1 b "f16simt $v $r" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v-$r.json
done; done
for v in base n; do
b "f32 I=1024 $v" ./omnimoe-$v bench --dtype f32 --intermediate 1024 --json $R/f32i1k-$v.json
b "f32 sweep $v" ./omnimoe-$v bench --dtype f32 --sweep tokens --json $R/tok-f32-$v.json
OMNIMOE_NO_COOP=1 b "f16simt sweep $v" ./omnimoe-$v bench --dtype f16 --sweep tokens --json $R/tok-f16simt-$v.json
done
tar -C $R -czf $OUT/r228.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
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
"; done
