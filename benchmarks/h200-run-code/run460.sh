#!/bin/bash
# Forty-third session, timing only (omnimoe-t, no aid of its own set): the gate/up GEMM of 5-8 rows on
# the skinny kernel (OMNIMOE_SKINNY=all: both GEMMs of up to 16 rows on it) beside the GEMV as built,
# at widths from the README's to I = 32768. The question: where the skinny kernel streams the wide
# gate/up weights faster than the GEMV at 8 rows (66% of HBM marginally).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r460; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 120 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r460.tgz .; return $rc; }
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-t bench --tokens 8 --intermediate 16384
for i in 16384 4096 8192 12288 32768; do
  for t in 8 6; do
    bench i$i-t$t-base A=1 ./omnimoe-t bench --tokens $t --intermediate $i
    bench i$i-t$t-sk OMNIMOE_SKINNY=all ./omnimoe-t bench --tokens $t --intermediate $i
  done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
