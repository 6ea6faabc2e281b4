#!/bin/bash
# The committed final build (82e92ac: gemm_coop's FN2 guards rearranged, the same preprocessed variants;
# the skinny kernel's compile probe for the builds the layer runs): GPU tests, one token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r177; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
b "sweep" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens.json
tar -C $R -czf $OUT/r177.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
python3 -c "
import json
d=json.load(open('$R/tokens.json'))
print(' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
"
