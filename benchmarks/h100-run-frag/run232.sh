#!/bin/bash
# The skinny kernel's workgroup target (OMNIMOE_SKINNY_WGS; 128 by default, tuned on one layer run over
# and over) for a stack of 4 layers with weights of their own (from memory): f16, 8 and 16 tokens, two
# rounds interleaved, HEAD's build.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r232; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
./omnimoe-h bench --dtype f16 --tokens 16 --layers 4 --json $R/warm.json > /dev/null 2>&1
for r in 1 2; do for t in 16 8; do for w in 128 192 256 384 64; do
OMNIMOE_SKINNY_WGS=$w b "T=$t wgs=$w $r" ./omnimoe-h bench --dtype f16 --tokens $t --layers 4 --json $R/t$t-w$w-$r.json
done; done; done
tar -C $R -czf $OUT/r232.tgz .
grep -E "^(==|rc=|panicked)" $L | paste - - | cut -c1-160 | grep -v "rc=0"
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('%-16s layer %.4f stack/layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], d['stack']['gpu_ms_per_layer'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in d['stages'].items())))
"; done | sort
