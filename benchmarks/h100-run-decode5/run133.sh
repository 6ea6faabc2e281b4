#!/bin/bash
# The skinny kernel's two builds in one main loop (no second copy of the multiplies): register counts,
# GPU tests with and without STAGED, token sweeps default / STAGED off, to compare with run131.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final pipeline_stats gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r133; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
./pipeline_stats gemm_skinny > $R/stats-skinny.txt 2>&1
b "test stages" ./gpu_stages --test-threads 4
b "test layer" ./gpu_layer --test-threads 4
OMNIMOE_SKINNY_STAGED=off b "test layer off" ./gpu_layer --test-threads 4 few_token
b "sweep default" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-default.json
OMNIMOE_SKINNY_STAGED=off b "sweep off" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-off.json
tar -C $R -czf $OUT/r133.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -v ACT $R/stats-skinny.txt | cut -c1-120
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep']
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms'] or 0) for p in s[:9]))
print('   gu', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router') or 0) for p in s[:7]))
print('   dn', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down') or 0) for p in s[:7]))
"; done
