#!/bin/bash
# The skinny kernel with four steps of B in flight (u4) against the current build (cur), token sweeps; the
# GEMM tests of the u4 build on the H100 first.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-cur omnimoe-u4 gpu_stages; do xz -d -k -f $f.xz; chmod +x $f; done
R=/tmp/r95; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
echo "== gpu_stages (u4)" >> $L; timeout 120 ./gpu_stages --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L
b() { echo "== $1" >> $L; shift; timeout 100 "$@" >> $L 2>&1; echo "rc=$?" >> $L; }
b "sweep cur" ./omnimoe-cur bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-cur.json
b "sweep u4" ./omnimoe-u4 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-u4.json
b "sweep u4 wgs 128" env OMNIMOE_SKINNY_WGS=128 ./omnimoe-u4 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-u4-wgs128.json
b "sweep u4 wgs 512" env OMNIMOE_SKINNY_WGS=512 ./omnimoe-u4 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-u4-wgs512.json
b "sweep u4 skinny all" env OMNIMOE_SKINNY=all ./omnimoe-u4 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-u4-all.json
b "sweep cur 2" ./omnimoe-cur bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-cur-2.json
tar -C $R -czf $OUT/r95.tgz .
grep -E "^(==|test result|rc=|.*panicked|.*FAILED|NVIDIA)" $L | cut -c1-180
for f in $R/tokens-*.json; do python3 -c "
import json,sys
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   down', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down',0)) for p in d['sweep']))
print('   gu  ', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)) for p in d['sweep']))
"; done
