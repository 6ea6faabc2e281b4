#!/bin/bash
# The cooperative-matrix-2 kernel's split builds (tiles of 16..128 rows) for the few-token GEMMs, against
# the current kernels, in one run; and the GEMM tests on the H100.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-nv gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r100; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "tests" ./gpu_stages --test-threads 1 nv_coopmat2 gemm_split_k gemm_matches skinny
b "sweep base" ./omnimoe-nv bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-base.json
b "sweep nv128" env OMNIMOE_NV_ROWS=128 ./omnimoe-nv bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-nv128.json
b "sweep nv64" env OMNIMOE_NV_ROWS=64 ./omnimoe-nv bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-nv64.json
b "sweep nv64 noskinny" env OMNIMOE_NV_ROWS=64 OMNIMOE_SKINNY=off ./omnimoe-nv bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-nv64-noskinny.json
b "sweep nv64 wgs256" env OMNIMOE_NV_ROWS=64 OMNIMOE_SPLIT_K_WGS=256 ./omnimoe-nv bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-nv64-wgs256.json
b "sweep nv128 noskinny" env OMNIMOE_NV_ROWS=128 OMNIMOE_SKINNY=off ./omnimoe-nv bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-nv128-noskinny.json
tar -C $R -czf $OUT/r100.tgz .
grep -E "^(==|rc=|NVIDIA|test result|test .*FAIL|panicked)" $L | cut -c1-200
for f in $R/tokens-*.json; do python3 -c "
import json,sys
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'] if p['tokens']>=8))
print('   down', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down',0)) for p in d['sweep'] if p['tokens']>=8))
print('   gu  ', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)) for p in d['sweep'] if p['tokens']>=8))
"; done
