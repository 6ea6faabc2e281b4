#!/bin/bash
# The down projection's split-K reduction inside the expert stage (a) against the build before it (base),
# token sweeps interleaved on one H100; and the touched GPU tests there.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-a gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r102; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do
  b "sweep base $i" ./omnimoe-base bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-base-$i.json
  b "sweep a $i" ./omnimoe-a bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-a-$i.json
done
b "test stages" ./gpu_stages --test-threads 2
b "test layer" ./gpu_layer
b "test prepared" ./gpu_prepared
tar -C $R -czf $OUT/r102.tgz .
grep -E "^(==|rc=|NVIDIA|test result|test .*FAIL|panicked)" $L | cut -c1-200
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   wall', ' '.join('%d:%.4f'%(p['tokens'],p['layer_wall_ms']) for p in d['sweep']))
"; done
