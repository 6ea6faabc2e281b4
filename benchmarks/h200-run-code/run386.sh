#!/bin/bash
# Thirty-second session: gemv.wgsl's A ahead written through one chunk_dot / add_chunk_d0 (no code of
# its own for rows 1..8; the same expressions): gpu_gemm and gpu_layer, and one token per layer of a
# stack of 8 and a wide layer, against run382 / run384.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-r gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r386; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r386.tgz .; }
b "T=1 L8" ./omnimoe-r bench --dtype f16 --tokens 1 --layers 8 --runs 30 --no-autotune --json $R/m/t1-l8.json
b "I=16384 T=1" ./omnimoe-r bench --dtype f16 --tokens 1 --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t1.json
for t in gpu_layer gpu_gemm; do b "test $t" ./$t --test-threads 4; done
grep -E "^(==|rc=|test result)" $L | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-14s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
