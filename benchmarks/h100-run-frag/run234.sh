#!/bin/bash
# The router's workgroup touching its token's chosen experts' rows of U and V after its top-k (PREFETCH
# in router_topk/by_rank.wgsl, OMNIMOE_PF_EXPERTS=1, prefetch_experts.diff: one load a 32-byte sector,
# folded into a value no one reads), so that the expert stage after it finds them in L2; it runs beside
# the down projection. Per layer in a stack of 4 and one layer, f16, 1 and 16 tokens, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r234; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
./omnimoe-p bench --dtype f16 --tokens 16 --layers 4 --json $R/warm.json > /dev/null 2>&1
for r in 1 2; do for t in 1 16; do
b "T=$t with $r" ./omnimoe-p bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-with-$r.json
OMNIMOE_PF_EXPERTS=1 b "T=$t pf $r" ./omnimoe-p bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-pf-$r.json
done; done
tar -C $R -czf $OUT/r234.tgz .
grep -E "^(==|rc=|panicked)" $L | paste - - | cut -c1-160 | grep -v "rc=0"
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('%-16s layer %.4f stack/layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], d['stack']['gpu_ms_per_layer'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in d['stages'].items())))
"; done | sort
