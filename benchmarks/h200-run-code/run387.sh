#!/bin/bash
# Thirty-third session: the GEMV's rows fixed by its pipeline (ROWS = M in A_AHEAD builds, so no branch
# between B's loads and those of A's rows 1..M; omnimoe-h). gpu_gemm and gpu_layer; per layer of a stack
# of 4 at 1, 2, 4, 8 tokens on the GEMV (OMNIMOE_SKINNY=off) with and without OMNIMOE_GEMV_ROWS_BRANCH
# (the build before), and the skinny kernel (the default at 2..8) beside them; I = 16384 the same for
# the marginal rate. Two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r387; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r387.tgz .; }
b "test gpu_gemm gemv" ./gpu_gemm --test-threads 4 gemv
b "test gpu_layer" ./gpu_layer --test-threads 4
for round in 1 2; do
  for i in 4096 16384; do
    for t in 1 2 4 8; do
      b "I=$i T=$t fixed" env OMNIMOE_SKINNY=off ./omnimoe-h bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-fixed-$round.json
      b "I=$i T=$t branch" env OMNIMOE_SKINNY=off OMNIMOE_GEMV_ROWS_BRANCH=1 ./omnimoe-h bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-branch-$round.json
      [ $t -gt 1 ] && b "I=$i T=$t skinny" ./omnimoe-h bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-skinny-$round.json
    done
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
