#!/bin/bash
# Fortieth session's review: reduce_store (the one-column and PAIR builds) stores its lane sums through
# put_part, as QUAD does (omnimoe-m), beside 33d6597 (omnimoe-l, the same code written out): the same
# bits, and whether the driver's code for those builds moved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-l omnimoe-m; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r438; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r438.tgz .; return $rc; }
for s in 4096:1 4096:2 4096:4 4096:8 16384:1 16384:4 16384:6; do
  i=${s%:*}; t=${s#*:}
  for x in l m; do b i$i-t$t-$x ./omnimoe-$x bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-$x.json --tokens $t --intermediate $i; done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
