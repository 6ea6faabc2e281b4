#!/bin/bash
# Forty-first session, probe (skinny_sg7.diff, OMNIMOE_SKINNY_SG=4|7): the wide gate/up GEMM's skinny build
# on four, six (as committed, ab933ff) or seven subgroups a workgroup (224 columns, ~47.75 KiB: the most
# 64-k steps the device's 48 KiB hold beside A's rows).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-v; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r448; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 60 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r448.tgz .; return $rc; }
for s in 16384:16 32768:16 16384:9; do
  i=${s%:*}; t=${s#*:}
  for g in 4 6 7; do b i$i-t$t-sg$g env OMNIMOE_SKINNY_SG=$g ./omnimoe-v bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-sg$g.json --tokens $t --intermediate $i; done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
