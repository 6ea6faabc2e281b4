#!/bin/bash
# Forty-third session (omnimoe-w = 711bbdd + gemv_round_fill_m2.diff, as committed): 32 lanes only from 2
# rows and where 16 lanes fill their rounds at most 0.75 (I = 10240 and 12288, not 20480). gpu_gemm and
# gpu_layer on it; the layers where the rule does (12288 at 2 / 8 tokens, 10240 at 5) and does not
# (12288 at 1, 20480 at 8) change the lanes, digests against run463.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-w gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r464; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r464.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-w bench --tokens 8 --intermediate 12288
bench i12288-t8 A=1 ./omnimoe-w bench --tokens 8 --intermediate 12288
bench i12288-t2-off OMNIMOE_GEMV_ROUNDS=off ./omnimoe-w bench --tokens 2 --intermediate 12288
bench i12288-t2 A=1 ./omnimoe-w bench --tokens 2 --intermediate 12288
bench i12288-t1 A=1 ./omnimoe-w bench --tokens 1 --intermediate 12288
bench i10240-t5 A=1 ./omnimoe-w bench --tokens 5 --intermediate 10240
bench i20480-t8 A=1 ./omnimoe-w bench --tokens 8 --intermediate 20480
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
