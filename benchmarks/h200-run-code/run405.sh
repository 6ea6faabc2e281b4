#!/bin/bash
# Thirty-fifth session, the final build (omnimoe-h: FMA in the GEMV's chunks of eight only; f32 GEMVs as
# before): the four GPU test binaries; then where the GEMV now stands against the skinny kernel, one round
# each: the README's layer at 6 and 7 tokens and I = 8192 at 6, 7, 8 beside OMNIMOE_SKINNY=off (the GEMV);
# I = 16384 at 6, 7, 8 (the GEMV) beside OMNIMOE_GEMV_PAIR_ROUND=1; f32 at 4 tokens (its digest to be
# run404's with OMNIMOE_GEMV_FMA=off); per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r405; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r405.tgz .; return $rc; }
C() { name=$1; aid=$2; shift 2; b "$name" ./omnimoe-h bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; b "$name-aid" env $aid ./omnimoe-h bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name-aid.json "$@"; }
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
for t in 6 7; do C t$t OMNIMOE_SKINNY=off --tokens $t; done
for t in 6 7 8; do C i8192-t$t OMNIMOE_SKINNY=off --tokens $t --intermediate 8192; done
for t in 6 7 8; do C i16384-t$t OMNIMOE_GEMV_PAIR_ROUND=1 --tokens $t --intermediate 16384; done
b f32-t4 ./omnimoe-h bench --dtype f32 --layers 4 --runs 30 --no-autotune --tokens 4 --json $R/m/f32-t4.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-18s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
