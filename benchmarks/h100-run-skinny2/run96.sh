#!/bin/bash
# Which part of run95's gain at T = 16 and 32 is the unrolled skinny kernel (u4) and which the fewer
# workgroups (OMNIMOE_SKINNY_WGS): both builds at 128, u4 at 64 and 192.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-cur omnimoe-u4; do xz -d -k -f $f.xz; chmod +x $f; done
R=/tmp/r96; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; timeout 100 "$@" >> $L 2>&1; echo "rc=$?" >> $L; }
b "sweep cur wgs 128" env OMNIMOE_SKINNY_WGS=128 ./omnimoe-cur bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-cur-wgs128.json
b "sweep u4 wgs 128" env OMNIMOE_SKINNY_WGS=128 ./omnimoe-u4 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-u4-wgs128.json
b "sweep u4 wgs 64" env OMNIMOE_SKINNY_WGS=64 ./omnimoe-u4 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-u4-wgs64.json
b "sweep u4 wgs 192" env OMNIMOE_SKINNY_WGS=192 ./omnimoe-u4 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-u4-wgs192.json
b "sweep cur" ./omnimoe-cur bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-cur.json
tar -C $R -czf $OUT/r96.tgz .
grep -E "^(==|rc=|NVIDIA)" $L | cut -c1-180
for f in $R/tokens-*.json; do python3 -c "
import json,sys
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'] if p['tokens']<=256))
print('   down', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down',0)) for p in d['sweep'] if 8<=p['tokens']<=256))
print('   gu  ', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)) for p in d['sweep'] if 8<=p['tokens']<=256))
"; done
