#!/bin/bash
# Thirty-second session, the GEMV with row 0's chunks of A loaded beside B's as built (f16 storage, VEC8;
# omnimoe-g): the four GPU test binaries; per layer of stacks at one token (4 and 8 layers, I = 16384)
# and at 16 and 64 (no GEMV there: a control) beside the same binary with OMNIMOE_NO_GEMV_A_AHEAD, two
# rounds; the token sweep (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-g gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r382; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r382.tgz .; }
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
for round in 1 2; do
  for v in off on; do
    e=""; [ $v = off ] && e="OMNIMOE_NO_GEMV_A_AHEAD=1"
    b "T=1 L4 $v" env $e ./omnimoe-g bench --dtype f16 --tokens 1 --layers 4 --runs 30 --no-autotune --json $R/m/t1-l4-$v-$round.json
    b "T=1 L8 $v" env $e ./omnimoe-g bench --dtype f16 --tokens 1 --layers 8 --runs 30 --no-autotune --json $R/m/t1-l8-$v-$round.json
    b "I=16384 T=1 $v" env $e ./omnimoe-g bench --dtype f16 --tokens 1 --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t1-$v-$round.json
    b "T=16 $v" env $e ./omnimoe-g bench --dtype f16 --tokens 16 --layers 4 --runs 30 --no-autotune --json $R/m/t16-$v-$round.json
  done
done
b "sweep" ./omnimoe-g bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
