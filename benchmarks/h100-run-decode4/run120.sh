#!/bin/bash
# Skinny kernel's SIMT variant (one column a lane, 16-byte loads of B, f32 FMAs against the staged rows of
# A; up to 16 rows), chosen by OMNIMOE_SKINNY_SIMT=1 in the same binary: interleaved token sweeps against
# the tensor-core skinny kernel, the SIMT one also aiming at 256 and 512 workgroups; GPU tests with it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-simt pipeline_stats gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r120; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
./pipeline_stats gemm_skinny > $R/stats-skinny.txt 2>&1
OMNIMOE_SKINNY_SIMT=1 b "test stages simt" ./gpu_stages --test-threads 4
OMNIMOE_SKINNY_SIMT=1 b "test layer simt" ./gpu_layer --test-threads 4
for i in 1 2; do
b "sweep coop $i" ./omnimoe-simt bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-coop-$i.json
OMNIMOE_SKINNY_SIMT=1 b "sweep simt $i" ./omnimoe-simt bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-simt-$i.json
done
OMNIMOE_SKINNY_SIMT=1 OMNIMOE_SKINNY_WGS=256 b "sweep simt256" ./omnimoe-simt bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-simt256.json
OMNIMOE_SKINNY_SIMT=1 OMNIMOE_SKINNY_WGS=512 b "sweep simt512" ./omnimoe-simt bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-simt512.json
tar -C $R -czf $OUT/r120.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep SIMT $R/stats-skinny.txt
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep']
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms'] or 0) for p in s[:9]))
print('   gu', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router') or 0) for p in s[:7]))
print('   dn', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down') or 0) for p in s[:7]))
"; done
