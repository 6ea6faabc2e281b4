#!/bin/bash
# Thirty-fourth session: what the GEMV's half unpacking costs (timing only). omnimoe-s is the committed
# build (cb9ba52: PAIR); omnimoe-pa the same with A's chunks bitcast, not unpacked (probe_a_bits.diff:
# wrong values, A's conversions gone), omnimoe-pb with B's (probe_b_bits.diff). gemm_stream (each GEMM
# alone) on the GEMV (OMNIMOE_SKINNY=off) at 1, 4, 5, 8 tokens, I = 4096 and 16384.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s omnimoe-pa omnimoe-pb; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r396; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r396.tgz .; }
for i in 4096 16384; do
  for t in 1 4 5 8; do
    for x in s pa pb; do
      b "I=$i T=$t $x" env OMNIMOE_SKINNY=off ./omnimoe-$x bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 20 --no-autotune --json $R/m/i$i-t$t-$x.json
    done
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], g))"; done
