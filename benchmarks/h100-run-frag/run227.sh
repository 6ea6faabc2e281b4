#!/bin/bash
# The SIMT GEMM's fragments loaded one k ahead (FRAGPF, a register double buffer; OMNIMOE_SIMT_PF=1)
# beside the kernel as it is, f32 and f16 without tensor cores, two rounds interleaved; what the driver
# makes of the FRAGPF builds; the GEMV's 16-row build for every row count (OMNIMOE_GEMV_ROWS16=1) beside
# the 8-row build at 1 and 8 tokens, one layer and a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-n pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r227; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for r in 1 2; do
b "f32 off $r" ./omnimoe-n bench --dtype f32 --json $R/f32-off-$r.json
OMNIMOE_SIMT_PF=1 b "f32 pf $r" ./omnimoe-n bench --dtype f32 --json $R/f32-pf-$r.json
OMNIMOE_NO_COOP=1 b "f16simt off $r" ./omnimoe-n bench --dtype f16 --json $R/f16simt-off-$r.json
OMNIMOE_NO_COOP=1 OMNIMOE_SIMT_PF=1 b "f16simt pf $r" ./omnimoe-n bench --dtype f16 --json $R/f16simt-pf-$r.json
done
for r in 1 2; do for t in 1 8; do
b "gemv8 T=$t $r" ./omnimoe-n bench --dtype f16 --tokens $t --layers 4 --json $R/gemv8-$t-$r.json
OMNIMOE_GEMV_ROWS16=1 b "gemv16 T=$t $r" ./omnimoe-n bench --dtype f16 --tokens $t --layers 4 --json $R/gemv16-$t-$r.json
done; done
OMNIMOE_SIMT_PF=1 timeout 200 ./pipeline_stats gemm > $R/stats-pf.txt 2>&1; echo "stats rc=$?" >> $L
tar -C $R -czf $OUT/r227.tgz .
grep -E "^(==|rc=|stats|panicked)" $L | cut -c1-160
grep -E "FRAGPF" $R/stats-pf.txt | grep -v "COLS\|TK=16" | cut -c1-150 | head -60
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
st=d.get('stages',{})
sk=d.get('stack') or {}
print('%-22s layer %.4f stack/layer %s  %s'%('$f'.split('/')[-1], d['layer_ms'], sk.get('gpu_ms_per_layer'), ' '.join('%s=%.4f'%(k[:12],v) for k,v in st.items())))
for t in d.get('gemm_tuning') or []:
    print('   ', t['shape'], ' '.join('%.3f'%c['ms'] for c in t['candidates_ms']), '->', t['chosen'][:60])
"; done
