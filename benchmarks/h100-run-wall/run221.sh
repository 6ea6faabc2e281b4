#!/bin/bash
# Stream-K with 64 groups among the candidates: f32 and f16-without-tensor-cores benches at 1024 and 2048
# tokens (and 4096 once) beside the same binary with OMNIMOE_NO_STREAM_K=1, two rounds at 1024.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-k; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r221; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for t in 1024 1024 2048 4096; do
for d in f32 f16simt; do
if [ $d = f16simt ]; then export OMNIMOE_NO_COOP=1 DT=f16; else unset OMNIMOE_NO_COOP; DT=f32; fi
[ $t = 4096 ] || OMNIMOE_NO_STREAM_K=1 b "$d T=$t off" ./omnimoe-k bench --dtype $DT --tokens $t --json $R/$d-$t-off-$RANDOM.json
b "$d T=$t sk" ./omnimoe-k bench --dtype $DT --tokens $t --json $R/$d-$t-sk-$RANDOM.json
done; done
tar -C $R -czf $OUT/r221.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
ch=[g['chosen'].split('stream_k: ')[-1][:40] for g in d['gemm_tuning'] if g['shape'][1]==1024]
print('%-26s layer %.4f staged %.4f '%('$f'.split('/')[-1], d['layer_ms'], d['layer_staged_ms']) + ' '.join('%s=%.4f'%(k[:12],v) for k,v in d['stages'].items()), ch)
"; done
