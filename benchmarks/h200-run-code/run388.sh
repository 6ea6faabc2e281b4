#!/bin/bash
# Thirty-third session: the GEMV's rows fixed by its pipeline, the skinny kernel from 5 tokens (omnimoe-i).
# The four GPU test binaries; per layer of a stack of 4 at 3..8 tokens on the GEMV (OMNIMOE_SKINNY=off)
# and on the skinny kernel (=all), README sizes two rounds, I = 16384 one; f32 at 1, 2, 4 tokens and a
# stack of 8 at one token with and without OMNIMOE_GEMV_ROWS_BRANCH; the GEMV's lanes at 1 and 8 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-i gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r388; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r388.tgz .; }
B="./omnimoe-i bench --layers 4 --runs 30 --no-autotune"
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
for round in 1 2; do
  for t in 3 4 5 6 7 8; do
    b "T=$t gemv" env OMNIMOE_SKINNY=off $B --dtype f16 --tokens $t --json $R/m/t$t-gemv-$round.json
    b "T=$t skinny" env OMNIMOE_SKINNY=all $B --dtype f16 --tokens $t --json $R/m/t$t-skinny-$round.json
  done
  for t in 1 2 4; do
    b "f32 T=$t fixed" $B --dtype f32 --tokens $t --json $R/m/f32-t$t-fixed-$round.json
    b "f32 T=$t branch" env OMNIMOE_GEMV_ROWS_BRANCH=1 $B --dtype f32 --tokens $t --json $R/m/f32-t$t-branch-$round.json
  done
  b "L8 T=1 fixed" ./omnimoe-i bench --layers 8 --runs 30 --no-autotune --dtype f16 --tokens 1 --json $R/m/l8-t1-fixed-$round.json
  b "L8 T=1 branch" env OMNIMOE_GEMV_ROWS_BRANCH=1 ./omnimoe-i bench --layers 8 --runs 30 --no-autotune --dtype f16 --tokens 1 --json $R/m/l8-t1-branch-$round.json
done
for t in 3 5 6 8; do
  b "I=16384 T=$t gemv" env OMNIMOE_SKINNY=off $B --dtype f16 --tokens $t --intermediate 16384 --json $R/m/i16384-t$t-gemv.json
  b "I=16384 T=$t skinny" env OMNIMOE_SKINNY=all $B --dtype f16 --tokens $t --intermediate 16384 --json $R/m/i16384-t$t-skinny.json
done
for l in 16 32 64; do
  b "T=1 lanes $l" env OMNIMOE_GEMV_LANES=$l $B --dtype f16 --tokens 1 --json $R/m/t1-lanes$l.json
  b "T=8 lanes $l" env OMNIMOE_SKINNY=off OMNIMOE_GEMV_LANES=$l $B --dtype f16 --tokens 8 --json $R/m/t8-lanes$l.json
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
