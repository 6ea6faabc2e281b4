#!/bin/bash
# Thirty-seventh session (omnimoe-j: cef88b2, the final code: run416's with the scratch's partial products
# sized for the split GEMV in a forward prepared for more tokens): gpu_layer, gpu_prepared and gpu_stages
# (gpu_gemm passed in run416: the same kernels), then the token sweep (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-j gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r417; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r417.tgz .; return $rc; }
for t in gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
b "sweep" ./omnimoe-j bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
python3 -c "
import json; d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']: print(p['tokens'], p['layer_ms'], p['layer_wall_spin_ms'], (p.get('stack') or {}).get('gpu_ms_per_layer'), p.get('error'))" 2>&1 | head -20
