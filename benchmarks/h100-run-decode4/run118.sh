#!/bin/bash
# Skinny kernel: B read as vec4<f16> elements by coopLoad (v4), or streamed with 16-byte loads per lane
# through a per-subgroup block of workgroup memory (staged), beside base (a240115): interleaved token
# sweeps; GPU tests of the staged build; register counts.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-v4 omnimoe-staged pipeline_stats gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r118; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
./pipeline_stats gemm_skinny=skinny_staged.wgsl > $R/stats-skinny-staged.txt 2>&1
./pipeline_stats gemm_skinny=skinny_v4.wgsl > $R/stats-skinny-v4.txt 2>&1
b "test stages" ./gpu_stages --test-threads 4
b "test layer" ./gpu_layer --test-threads 4
for i in 1 2; do for v in t v4 staged; do b "sweep $v $i" ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json; done; done
tar -C $R -czf $OUT/r118.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
cat $R/stats-skinny-*.txt | grep -v ACT
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep']
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms'] or 0) for p in s))
print('   gu', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)) for p in s[:8]))
print('   dn', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down',0)) for p in s[:8]))
"; done
