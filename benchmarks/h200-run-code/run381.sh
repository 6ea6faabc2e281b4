#!/bin/bash
# Thirty-second session: the GEMV with row 0's chunks of A loaded beside B's (OMNIMOE_GEMV_A_AHEAD, the
# same bits) — gpu_gemm's GEMV tests with it; one token per layer of stacks of 4 and 8 and a wide layer
# (I = 16384) beside the same binary without it, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-a gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r381; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r381.tgz .; }
b "test gemv A_AHEAD" env OMNIMOE_GEMV_A_AHEAD=1 ./gpu_gemm gemv --test-threads 4
for round in 1 2; do
  for v in def ahead; do
    e=""; [ $v = ahead ] && e="OMNIMOE_GEMV_A_AHEAD=1"
    b "T=1 L4 $v" env $e ./omnimoe-a bench --dtype f16 --tokens 1 --layers 4 --runs 30 --no-autotune --json $R/m/t1-l4-$v-$round.json
    b "T=1 L8 $v" env $e ./omnimoe-a bench --dtype f16 --tokens 1 --layers 8 --runs 30 --no-autotune --json $R/m/t1-l8-$v-$round.json
    b "I=16384 T=1 $v" env $e ./omnimoe-a bench --dtype f16 --tokens 1 --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t1-$v-$round.json
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
