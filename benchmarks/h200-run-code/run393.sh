#!/bin/bash
# Thirty-fourth session: the GEMV's groups streaming two columns each from the same chunks of A (PAIR,
# omnimoe-p): its default (twice the lanes, at most 128), OMNIMOE_GEMV_PAIR=same (the lanes of one
# column a group) and =off (the build before). gpu_gemm's GEMV tests with the default and with `same`;
# per layer of a stack of 4 on the GEMV (OMNIMOE_SKINNY=off) at 1, 2, 4, 5, 8 tokens, I = 16384 at 1
# and 4 for the marginal rate. Two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r393; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r393.tgz .; }
b "test gpu_gemm gemv" ./gpu_gemm --test-threads 4 gemv
b "test gpu_gemm gemv same" env OMNIMOE_GEMV_PAIR=same ./gpu_gemm --test-threads 4 gemv
for round in 1 2; do
  for i in 4096 16384; do
    for t in 1 2 4 5 8; do
      [ $i = 16384 ] && [ $t != 1 ] && [ $t != 4 ] && continue
      for mode in double same off; do
        b "I=$i T=$t $mode" env OMNIMOE_SKINNY=off OMNIMOE_GEMV_PAIR=$mode ./omnimoe-p bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-$mode-$round.json
      done
    done
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
