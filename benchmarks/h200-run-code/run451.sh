#!/bin/bash
# Forty-second session: the gate/up GEMM alone counts subgroups by the workgroups that run at once
# (omnimoe-y: four where four's workgroups in the fewest ranges are at most 132, else six where six's are,
# else eight where eight's are, else six; six or eight in the fewest ranges) beside 5031da0 (omnimoe-u's
# kernels: six from 256 column workgroups of 128); gpu_gemm, gpu_layer and gpu_prepared on it first.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-u omnimoe-y gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r451; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r451.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; e=$2; x=$3; shift 3; b $n env $e ./omnimoe-$x bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
for i in 4096 4352 5120 6144 7168 8192 9216 16384; do
  for x in u y; do bench i$i-t16-$x A=1 $x --tokens 16 --intermediate $i; done
done
bench i7168-t16-y-sg6 OMNIMOE_SKINNY_SG=6 y --tokens 16 --intermediate 7168
bench i9216-t16-y-sg8 OMNIMOE_SKINNY_SG=8 y --tokens 16 --intermediate 9216
for i in 6144 7168; do for x in u y; do bench i$i-t9-$x A=1 $x --tokens 9 --intermediate $i; done; done
for x in u y; do bench h2048-i4096-t16-$x A=1 $x --tokens 16 --hidden 2048 --intermediate 4096; done
bench h2048-i4096-t16-y-sg6 OMNIMOE_SKINNY_SG=6 y --tokens 16 --hidden 2048 --intermediate 4096
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
