#!/bin/bash
# Skinny kernel STAGED (A_HALF rule: ≤ 35 KiB), AHEAD2 (two steps of loads in flight), 256 workgroups:
# GPU tests; interleaved token sweeps: off / default / AHEAD2 / WGS 256.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-stg pipeline_stats gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r129; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
./pipeline_stats gemm_skinny > $R/stats-skinny.txt 2>&1
b "test stages" ./gpu_stages --test-threads 4
OMNIMOE_SKINNY_AHEAD2=1 b "test stages ahead2" ./gpu_stages --test-threads 4 skinny
b "test layer" ./gpu_layer --test-threads 4
OMNIMOE_SKINNY_AHEAD2=1 b "test layer ahead2" ./gpu_layer --test-threads 4
for i in 1 2; do
OMNIMOE_SKINNY_STAGED=off b "sweep off $i" ./omnimoe-stg bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-off-$i.json
b "sweep default $i" ./omnimoe-stg bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-default-$i.json
OMNIMOE_SKINNY_AHEAD2=1 b "sweep ahead2 $i" ./omnimoe-stg bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-ahead2-$i.json
OMNIMOE_SKINNY_WGS=256 b "sweep wgs256 $i" ./omnimoe-stg bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-wgs256-$i.json
done
tar -C $R -czf $OUT/r129.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -v ACT $R/stats-skinny.txt | head -40
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep']
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms'] or 0) for p in s[:9]))
print('   gu', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router') or 0) for p in s[:7]))
print('   dn', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down') or 0) for p in s[:7]))
print('   rt', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('router_topk') or 0) for p in s[:7]))
"; done
