#!/bin/bash
# Stream-K as built (the autotune times it for the SIMT down projection): GPU tests; f32 and f16-without-
# tensor-cores benches at the README config beside the same binary with OMNIMOE_NO_STREAM_K=1, two rounds
# interleaved; token sweeps of both beside it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-k; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r220; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do
OMNIMOE_NO_STREAM_K=1 b "f32 off $r" ./omnimoe-k bench --dtype f32 --json $R/f32-off-$r.json
b "f32 sk $r" ./omnimoe-k bench --dtype f32 --json $R/f32-sk-$r.json
OMNIMOE_NO_STREAM_K=1 OMNIMOE_NO_COOP=1 b "f16simt off $r" ./omnimoe-k bench --dtype f16 --json $R/f16simt-off-$r.json
OMNIMOE_NO_COOP=1 b "f16simt sk $r" ./omnimoe-k bench --dtype f16 --json $R/f16simt-sk-$r.json
done
OMNIMOE_NO_STREAM_K=1 b "tok f32 off" ./omnimoe-k bench --dtype f32 --sweep tokens --json $R/tok-f32-off.json
b "tok f32 sk" ./omnimoe-k bench --dtype f32 --sweep tokens --json $R/tok-f32-sk.json
OMNIMOE_NO_STREAM_K=1 OMNIMOE_NO_COOP=1 b "tok f16simt off" ./omnimoe-k bench --dtype f16 --sweep tokens --json $R/tok-f16simt-off.json
OMNIMOE_NO_COOP=1 b "tok f16simt sk" ./omnimoe-k bench --dtype f16 --sweep tokens --json $R/tok-f16simt-sk.json
tar -C $R -czf $OUT/r220.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
t=[(c['kernel'].split('stream_k: ')[-1][:40],round(c['ms'],4)) for g in d['gemm_tuning'] if g['shape'][1]==1024 for c in g['candidates_ms']]
ch=[g['chosen'].split('stream_k: ')[-1][:40] for g in d['gemm_tuning'] if g['shape'][1]==1024]
print('%-22s layer %.4f staged %.4f '%('$f'.split('/')[-1], d['layer_ms'], d['layer_staged_ms']) + ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items()), ch, t)
"; done
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1])
for p in d['sweep']:
    print('  T=%-5d layer %.4f  %s'%(p['tokens'], p['layer_ms'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in p['stages'].items())))
"; done
