#!/bin/bash
# The tensor-core kernel's 64 x 128 tile with two steps' loads in flight (AHEAD2, a second set of registers;
# OMNIMOE_COOP_AHEAD2=1 puts it into every 64 x 128 configuration): the GEMM tests with it; the layer at
# T = 64, 128, 256 with and without it, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r141; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
OMNIMOE_COOP_AHEAD2=1 b "test gpu_stages ahead2" ./gpu_stages --test-threads 4
for i in 1 2; do for t in 64 128 256; do
b "t$t base $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-base-$i.json
OMNIMOE_COOP_AHEAD2=1 b "t$t ahead2 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-ahead2-$i.json
done; done
tar -C $R -czf $OUT/r141.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160 | sort | uniq -c
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
for r in d.get('gemm_tuning',[]):
    print('   ', ' '.join('%s/%d/%s:%.4f'%(c['kernel'].split('tile: ')[1].split(',')[0], int(c['kernel'].split('k_step: ')[1].split(',')[0]), 'db' if 'double_buffer: true' in c['kernel'] else '', c['ms']) for c in r['candidates_ms'] if 'tile' in c['kernel'] and c['ms']))
"; done
