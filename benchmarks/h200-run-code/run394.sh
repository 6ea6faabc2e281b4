#!/bin/bash
# Thirty-fourth session: PAIR by rule (omnimoe-q: two columns a group, the lanes unchanged, from 2 rows
# where the workgroups stay ≥ 512: the gate/up GEMV). gpu_gemm, gpu_layer; per layer of a stack of 4 at
# 2..5 tokens, I = 4096 and 16384, beside OMNIMOE_GEMV_PAIR=off (the build before), two rounds; one
# token (unchanged); f32 at 4 tokens; the down GEMV on PAIR with twice the lanes (=double) at 3, 6, 7
# tokens; 6 tokens on the GEMV (OMNIMOE_SKINNY=off) beside the skinny kernel. (First call: the tests,
# then every bench failed on its arguments' order; run again with SKIP_TESTS=1.)
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-q gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r394; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r394.tgz .; }
B() { n=$1; v=$2; shift 2; b "$n" env $v ./omnimoe-q bench --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
[ -z "$SKIP_TESTS" ] && b "test gpu_gemm" ./gpu_gemm --test-threads 4
[ -z "$SKIP_TESTS" ] && b "test gpu_layer" ./gpu_layer --test-threads 4
for round in 1 2; do
  for i in 4096 16384; do
    for t in 2 3 4 5; do
      B i$i-t$t-pair-$round X=1 --dtype f16 --tokens $t --intermediate $i
      B i$i-t$t-off-$round OMNIMOE_GEMV_PAIR=off --dtype f16 --tokens $t --intermediate $i
    done
  done
done
B i4096-t1-pair X=1 --dtype f16 --tokens 1
B f32-t4-pair X=1 --dtype f32 --tokens 4
B f32-t4-off OMNIMOE_GEMV_PAIR=off --dtype f32 --tokens 4
for t in 3 6 7; do B i4096-t$t-double OMNIMOE_SKINNY=off OMNIMOE_GEMV_PAIR=double --dtype f16 --tokens $t; done
for i in 4096 16384; do
  B i$i-t6-gemv OMNIMOE_SKINNY=off --dtype f16 --tokens 6 --intermediate $i
  B i$i-t6-skinny X=1 --dtype f16 --tokens 6 --intermediate $i
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
