#!/bin/bash
# One token in a stack of 4 (weights from memory): the GEMV as the layer runs it against the skinny kernel
# (OMNIMOE_SKINNY=all) and the GEMV with 32 or 16 lanes a column (OMNIMOE_GEMV_LANES), interleaved twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-final.xz; chmod +x omnimoe-final
R=/tmp/r187; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
B="./omnimoe-final bench --dtype f16 --tokens 1 --layers 4 --runs 50"
for i in 1 2; do
  b "default $i" $B --json $R/default-$i.json
  b "skinny $i" env OMNIMOE_SKINNY=all $B --json $R/skinny-$i.json
  b "lanes32 $i" env OMNIMOE_GEMV_LANES=32 $B --json $R/lanes32-$i.json
  b "lanes16 $i" env OMNIMOE_GEMV_LANES=16 $B --json $R/lanes16-$i.json
done
tar -C $R -czf $OUT/r187.tgz .
grep -E "^(==|rc=)" $L | paste - - | cut -c1-80
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep'] if d['sweep'] else []
print('$f'.split('/')[-1].ljust(16), 'gpu %.4f stack/layer %.4f'%(d['layer_ms'],d['stack']['gpu_ms_per_layer']), {k:round(v*1e3,1) for k,v in d['stages'].items()})
"; done
