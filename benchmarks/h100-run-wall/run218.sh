#!/bin/bash
# Stream-K for the SIMT down projection (timing experiment, OMNIMOE_STREAMK=g: g groups of 256/g tiles
# on 256/g + 1 workgroups each, two partial products the expert stage adds): f32 and f16-without-tensor-
# cores benches at the README config beside the same binary without it, two rounds interleaved; the
# temporary GEMM test of stream-K on the H100.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm omnimoe-k; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r218; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
#b "test stream_k_tmp" ./gpu_gemm stream_k_tmp
for r in 1 2; do
b "f32 base $r" ./omnimoe-k bench --dtype f32 --json $R/f32-base-$r.json
OMNIMOE_STREAMK=8 b "f32 sk8 $r" ./omnimoe-k bench --dtype f32 --json $R/f32-sk8-$r.json
done
OMNIMOE_STREAMK=4 b "f32 sk4" ./omnimoe-k bench --dtype f32 --json $R/f32-sk4-1.json
OMNIMOE_STREAMK=16 b "f32 sk16" ./omnimoe-k bench --dtype f32 --json $R/f32-sk16-1.json
OMNIMOE_NO_COOP=1 b "f16simt base" ./omnimoe-k bench --dtype f16 --json $R/f16simt-base-1.json
OMNIMOE_NO_COOP=1 OMNIMOE_STREAMK=8 b "f16simt sk8" ./omnimoe-k bench --dtype f16 --json $R/f16simt-sk8-1.json
tar -C $R -czf $OUT/r218.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
t=[(c['kernel'][-40:],round(c['ms'],4)) for g in d['gemm_tuning'] for c in g['candidates_ms'] if g['shape'][1]==1024][:1]
print('%-22s layer %.4f staged %.4f '%('$f'.split('/')[-1], d['layer_ms'], d['layer_staged_ms']) + ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items()), t)
"; done
