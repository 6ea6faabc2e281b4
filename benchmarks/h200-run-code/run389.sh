#!/bin/bash
# Thirty-third session, the final build (omnimoe-j: the GEMV's rows fixed by its pipeline, the GEMV up to
# 5 tokens): the four GPU test binaries; per layer of a stack of 4 at 1..5 tokens against the build
# before (OMNIMOE_GEMV_ROWS_BRANCH, and from 2 tokens OMNIMOE_SKINNY=all: the skinny kernel as before),
# two rounds at the README's sizes, one at I = 16384; a stack of 8's stages at 1 and 4 tokens; the
# token sweep (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-j gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r389; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r389.tgz .; }
B="./omnimoe-j bench --layers 4 --runs 30 --no-autotune --dtype f16"
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
old() { if [ $1 = 1 ]; then echo "OMNIMOE_GEMV_ROWS_BRANCH=1"; else echo "OMNIMOE_GEMV_ROWS_BRANCH=1 OMNIMOE_SKINNY=all"; fi; }
for round in 1 2; do
  for t in 1 2 3 4 5; do
    b "T=$t new" $B --tokens $t --json $R/m/t$t-new-$round.json
    b "T=$t old" env $(old $t) $B --tokens $t --json $R/m/t$t-old-$round.json
  done
done
for t in 1 2 3 4 5; do
  b "I=16384 T=$t new" $B --tokens $t --intermediate 16384 --json $R/m/i16384-t$t-new.json
  b "I=16384 T=$t old" env $(old $t) $B --tokens $t --intermediate 16384 --json $R/m/i16384-t$t-old.json
done
for t in 1 4; do
  b "stages L8 T=$t" env OMNIMOE_STACK_STAGES=1 ./omnimoe-j bench --layers 8 --runs 30 --no-autotune --dtype f16 --tokens $t --json $R/m/stages-l8-t$t.json
done
b "sweep" ./omnimoe-j bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
grep "stack stage" $L | cut -c1-160
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
