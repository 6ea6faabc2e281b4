#!/bin/bash
# (c) = the fused few-token chain (gate/up partial products read by the router and by the down projection's
# staging) against (h) = HEAD before it (b8253ab), interleaved; c with split-K aiming at 192/256 workgroups
# (gate/up split at T=64, so fused there too); the GPU tests with the new fused-chain test.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h omnimoe-c gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r104; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test layer" ./gpu_layer
for i in 1 2; do
  b "sweep h $i" ./omnimoe-h bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-h-$i.json
  b "sweep c $i" ./omnimoe-c bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-c-$i.json
done
b "sweep c wgs192" env OMNIMOE_SPLIT_K_WGS=192 ./omnimoe-c bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-c-wgs192.json
b "sweep c wgs256" env OMNIMOE_SPLIT_K_WGS=256 ./omnimoe-c bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-c-wgs256.json
b "test stages" ./gpu_stages --test-threads 2
b "test prepared" ./gpu_prepared
tar -C $R -czf $OUT/r104.tgz .
grep -E "^(==|rc=|NVIDIA|test result|test .*FAIL|panicked)" $L | cut -c1-200
grep -B2 -A8 "panicked" $L | head -40
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   spin', ' '.join('%d:%.4f'%(p['tokens'],p.get('layer_wall_spin_ms') or 0) for p in d['sweep']))
"; done
