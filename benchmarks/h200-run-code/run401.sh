#!/bin/bash
# Thirty-fifth session, probe (second): run400 found gemm_cm2's SPLIT builds storing zeros (the tests
# failing with 0 where the CPU had values; times too short to have read the weights). Here: the driver's
# flexible-dimension granularities (logged by nv_coopmat2 at info), wgpu's warnings, each build on one
# gpu_gemm skinny test, and the builds that pass timed beside the skinny kernel.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn,wgpu_core=warn,wgpu_hal=warn
cd .dev; for x in omnimoe-c gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r401; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r401.tgz .; return $rc; }
B() { n=$1; v=$2; shift 2; b "$n" env X=1 $v ./omnimoe-c bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
b "flexible" env RUST_LOG=omnimoe=info ./omnimoe-c bench --dtype f16 --tokens 1 --runs 2 --no-autotune
grep "cm2" $L | head -40
B t16-base "" --tokens 16
B i16384-t16-base "" --tokens 16 --intermediate 16384
for c in s16_128 s16_128w32 s64_128p16 s32_128p16 s16_256w256; do
  if b "gemm $c" env OMNIMOE_SKINNY_CM2=$c ./gpu_gemm skinny_staged_steps; then
    b "gemm prop $c" env OMNIMOE_SKINNY_CM2=$c ./gpu_gemm skinny_gemm
    B t16-$c "OMNIMOE_SKINNY_CM2=$c" --tokens 16
    B t8-$c "OMNIMOE_SKINNY_CM2=$c" --tokens 8
    B i16384-t16-$c "OMNIMOE_SKINNY_CM2=$c" --tokens 16 --intermediate 16384
  fi
done
grep -E "^(==|rc=|test result)|panicked|error|Error|ERROR" $L | cut -c1-240 | head -60
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
