#!/bin/bash
# Thirty-fifth session, probe: the skinny kernel's split-K partial products by NVIDIA's cooperative
# matrix 2 (gemm_cm2.comp's SPLIT builds, measuring aid OMNIMOE_SKINNY_CM2=<build>) beside the skinny
# kernel: gpu_gemm's skinny tests and gpu_layer with two builds; the GEMMs alone and per layer of a stack
# of 4 at 8 and 16 tokens (README), 16 at I = 8192 and 16384.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-c gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r400; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r400.tgz .; }
B() { n=$1; v=$2; shift 2; b "$n" env X=1 $v ./omnimoe-c bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
b "gemm skinny cm2 s16_128" env OMNIMOE_SKINNY_CM2=s16_128 ./gpu_gemm skinny --test-threads 4
b "gemm skinny cm2 s16_256w256" env OMNIMOE_SKINNY_CM2=s16_256w256 ./gpu_gemm skinny --test-threads 4
b "layer cm2 s16_128" env OMNIMOE_SKINNY_CM2=s16_128 ./gpu_layer --test-threads 4
for c in base s16_128 s16_256 s16_128k32 s16_256w256; do
  v="OMNIMOE_SKINNY_CM2=$c"; [ $c = base ] && v=""
  B t16-$c "$v" --tokens 16
  B t8-$c "$v" --tokens 8
  B i16384-t16-$c "$v" --tokens 16 --intermediate 16384
  B i8192-t16-$c "$v" --tokens 16 --intermediate 8192
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
