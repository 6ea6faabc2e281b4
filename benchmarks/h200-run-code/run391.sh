#!/bin/bash
# Thirty-third session, the final build (omnimoe-l: the GEMV's rows fixed, the GEMV up to 5 tokens,
# router_experts' rows requested earlier): the four GPU test binaries; one token per layer of 8, f16 at
# I = 16384 and f32; the token sweep (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-l gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r391; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r391.tgz .; }
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
B="./omnimoe-l bench --runs 30 --no-autotune --tokens 1"
b "L8" $B --dtype f16 --layers 8 --json $R/m/l8.json
b "I=16384" $B --dtype f16 --layers 4 --intermediate 16384 --json $R/m/i16384.json
b "f32" $B --dtype f32 --layers 4 --json $R/m/f32.json
b "sweep" ./omnimoe-l bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
