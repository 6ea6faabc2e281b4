#!/bin/bash
# The autotune timing each candidate split as the layer runs it (t, a240115) against the session's final
# build before it (final, c7b7606): interleaved token sweeps, 20 runs a point; the layer and GEMM tests.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-t gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r109; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test layer" ./gpu_layer --test-threads 4
b "test stages" ./gpu_stages --test-threads 4
b "sweep t 1" ./omnimoe-t bench --dtype f16 --sweep tokens --runs 20 --json $R/h100-tokens-f16.json
b "sweep final 1" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-final-1.json
b "sweep t 2" ./omnimoe-t bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-t-2.json
b "sweep final 2" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-final-2.json
tar -C $R -czf $OUT/r109.tgz .
grep -E "^(==|rc=|NVIDIA|test result|panicked)" $L | cut -c1-200
for f in $R/*tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
"; done
