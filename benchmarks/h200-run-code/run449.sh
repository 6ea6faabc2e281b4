#!/bin/bash
# Forty-first session, probe (skinny_sg8.diff, OMNIMOE_SKINNY_SG=8): the gate/up GEMM (alone, up to 16
# rows, K % 64 == 0) on eight subgroups a workgroup at 32 k a step, A 512 deep (~36 KiB), beside the
# committed rule (six from 256 column workgroups, else four, at 64 k a step). run446's eight-subgroup
# benches at I >= 16384 asked for one range 1024 deep there (~53 KiB: over the device's 48): here at most 512.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-w; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r449; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 60 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r449.tgz .; return $rc; }
for s in 8192:16 16384:16 32768:16 4096:16 16384:9; do
  i=${s%:*}; t=${s#*:}
  for g in 6 8; do b i$i-t$t-sg$g env OMNIMOE_SKINNY_SG=$g ./omnimoe-w bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-sg$g.json --tokens $t --intermediate $i; done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
