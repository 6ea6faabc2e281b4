#!/bin/bash
# Thirty-fourth session: (1) the one-column GEMV's explicit round of row 0's chunks of A (A_AHEAD) against
# the plain round now that ROWS fixes M (omnimoe-e: plain_round.diff) beside the committed build
# (omnimoe-s, 641d3e3), gemm_stream at 1, 2, 4, 5 tokens; (2) the GEMV (OMNIMOE_SKINNY=off) against the
# skinny kernel from 6 tokens by the layer's width: I = 4096 at 6, 7; 8192 at 6, 8; 16384 at 6, 7, 8.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s omnimoe-e; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r398; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r398.tgz .; }
for t in 1 2 4 5; do
  for x in s e; do
    b "T=$t $x" ./omnimoe-$x bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-$x.json
  done
done
for it in 4096:6 4096:7 8192:6 8192:8 16384:6 16384:7 16384:8; do
  i=${it%:*}; t=${it#*:}
  b "I=$i T=$t gemv" env OMNIMOE_SKINNY=off ./omnimoe-s bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-gemv.json
  b "I=$i T=$t skinny" ./omnimoe-s bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-skinny.json
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
