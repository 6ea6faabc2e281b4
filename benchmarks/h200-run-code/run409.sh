#!/bin/bash
# Thirty-sixth session, the final build (omnimoe-d: four columns a group, rounds of two chunks, for a PAIR
# GEMV with FMA at 8 rows where that leaves 512 workgroups or more): gpu_gemm and gpu_layer; then two
# rounds, per layer of a stack of 4: I = 16384 and 32768 at 8 tokens on the build and with
# OMNIMOE_GEMV_QUAD=off; I = 8192 at 6 tokens with four columns (OMNIMOE_GEMV_QUAD=2: 258 workgroups)
# and without.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-d gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r409; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r409.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-d bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for t in gpu_gemm gpu_layer; do b "test $t" ./$t --test-threads 4; done
for r in 1 2; do
  for i in 16384 32768; do
    run i$i-t8-off-r$r OMNIMOE_GEMV_QUAD=off --tokens 8 --intermediate $i
    run i$i-t8-final-r$r X=1 --tokens 8 --intermediate $i
  done
  run i8192-t6-off-r$r X=1 --tokens 6 --intermediate 8192
  run i8192-t6-quad-r$r OMNIMOE_GEMV_QUAD=2 --tokens 6 --intermediate 8192
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
