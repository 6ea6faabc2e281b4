#!/bin/bash
# Forty-second session: the medium gate/up GEMM's skinny build on eight subgroups a workgroup at 32 k a
# step, A 512 deep (omnimoe-x: SG8 from 128 to 255 column workgroups of 128, alone, where the 64-k build
# applies) beside 5031da0 (omnimoe-u's kernels); gpu_gemm (its new skinny_eight_subgroups_match_cpu),
# gpu_layer and gpu_prepared on it first. Then the rule's edges: 4 / 6 / 8 subgroups (OMNIMOE_SKINNY_SG)
# at I = 6144, 10240, 12288 and 16384.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-u omnimoe-x gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r450; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r450.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { b $1 env $2 ./omnimoe-$3 bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$1.json --tokens $4 --intermediate $5; }
for t in 16 12 9; do for x in u x; do bench i8192-t$t-$x A=1 $x $t 8192; done; done
bench i8192-t16-x-sg6 OMNIMOE_SKINNY_SG=6 x 16 8192
for x in u x; do bench i4096-t16-$x A=1 $x 16 4096; done
for i in 6144 10240 12288 16384; do
  bench i$i-t16-x A=1 x 16 $i
  for g in 4 6 8; do bench i$i-t16-x-sg$g OMNIMOE_SKINNY_SG=$g x 16 $i; done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-20s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
