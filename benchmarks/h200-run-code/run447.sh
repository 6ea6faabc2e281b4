#!/bin/bash
# Forty-first session: the wide gate/up GEMM's skinny build on six subgroups a workgroup (omnimoe-u,
# SG6 from 256 column workgroups of 128, alone, 64 k a step) beside a2e5383 (omnimoe-m); gpu_gemm (its
# new skinny_six_subgroups_match_cpu), gpu_layer and gpu_prepared on it first.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-m omnimoe-u gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r447; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r447.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
for s in 16384:16 16384:12 16384:9 32768:16 8192:16 4096:16; do
  i=${s%:*}; t=${s#*:}
  for x in m u; do b i$i-t$t-$x ./omnimoe-$x bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-$x.json --tokens $t --intermediate $i; done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
