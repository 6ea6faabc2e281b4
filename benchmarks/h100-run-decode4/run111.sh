#!/bin/bash
# Skinny kernel with B fragments prefetched 1 / 2 / 3 steps ahead (d1, d2, d3) against the build before
# (base = a240115 = ae34bba's dispatches): interleaved token sweeps; d2 with OMNIMOE_SKINNY=all; GPU tests (d2).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-d1 omnimoe-d2 omnimoe-d3 gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r111; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test stages" ./gpu_stages --test-threads 4
b "test layer" ./gpu_layer --test-threads 4
b "sweep base" ./omnimoe-t bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-base.json
b "sweep d2" ./omnimoe-d2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-d2.json
b "sweep d1" ./omnimoe-d1 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-d1.json
b "sweep d3" ./omnimoe-d3 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-d3.json
OMNIMOE_SKINNY=all b "sweep d2 skinny-all" ./omnimoe-d2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-d2-all.json
b "sweep d2 again" ./omnimoe-d2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-d2-b.json
tar -C $R -czf $OUT/r111.tgz .
grep -E "^(==|rc=|NVIDIA|test result|panicked)" $L | cut -c1-200
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   gu', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)) for p in d['sweep'][:9]))
print('   dn', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down',0)) for p in d['sweep'][:9]))
"; done
