#!/bin/bash
# Split-K (the tiled kernels' K ranges, T ≤ 256) aiming at 128, 192, 256 (default) and 384 workgroups
# (OMNIMOE_SPLIT_K_WGS), the way run96 tried the skinny kernel's target.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-new.xz; chmod +x omnimoe-new
R=/tmp/r98; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; timeout 100 "$@" >> $L 2>&1; echo "rc=$?" >> $L; }
for w in 256 128 192 384 256; do
  b "sweep split-K $w" env OMNIMOE_SPLIT_K_WGS=$w ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-splitk-$w.json
done
tar -C $R -czf $OUT/r98.tgz .
grep -E "^(==|rc=|NVIDIA)" $L | cut -c1-180
for f in $R/tokens-*.json; do python3 -c "
import json,sys
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'] if p['tokens']>=32))
print('   down', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down',0)) for p in d['sweep'] if p['tokens']>=32))
print('   gu  ', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)) for p in d['sweep'] if p['tokens']>=32))
"; done
