#!/bin/bash
# With the fused chain (f05ee06): the skinny kernel's workgroup target (64, 96, 128 = default, 192) and the
# tiled split-K's (128 = default, 192: the gate/up GEMM at T=64 in 3 ranges), token sweeps.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-final.xz; chmod +x omnimoe-final
R=/tmp/r106; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "sweep default" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-default.json
for w in 64 96 192; do
  b "sweep skinny $w" env OMNIMOE_SKINNY_WGS=$w ./omnimoe-final bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-skinny-$w.json
done
b "sweep splitk 192" env OMNIMOE_SPLIT_K_WGS=192 ./omnimoe-final bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-splitk-192.json
b "sweep default 2" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-default-2.json
tar -C $R -czf $OUT/r106.tgz .
grep -E "^(==|rc=|NVIDIA)" $L | cut -c1-200
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'] if p['tokens']<=256))
"; done
