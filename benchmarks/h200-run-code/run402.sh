#!/bin/bash
# Thirty-fifth session, probe (third): gemm_cm2's SPLIT builds in shapes the driver's granularities allow
# (run401: M a multiple of 16 at 32 or 64 invocations, of 32 at 128, of 32 × 32 at 256) and with A's
# stride set again after its dimension (run401's builds had row 1 on from the wrong stride where a range
# was no multiple of BK · UNROLL). Each build on gpu_gemm's skinny tests, then timed beside the skinny
# kernel; gpu_layer with two builds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn,wgpu_core=warn,wgpu_hal=warn
cd .dev; for x in omnimoe-c gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r402; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r402.tgz .; return $rc; }
B() { n=$1; v=$2; shift 2; b "$n" env X=1 $v ./omnimoe-c bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
B t16-base "" --tokens 16
B t8-base "" --tokens 8
B i16384-t16-base "" --tokens 16 --intermediate 16384
for c in s16_128w32 s16_128w64 s16_256w64 s32_128p16 s32_256p16 s64_128p16; do
  if b "gemm $c" env OMNIMOE_SKINNY_CM2=$c ./gpu_gemm skinny --test-threads 4; then
    B t16-$c "OMNIMOE_SKINNY_CM2=$c" --tokens 16
    B t8-$c "OMNIMOE_SKINNY_CM2=$c" --tokens 8
    B i16384-t16-$c "OMNIMOE_SKINNY_CM2=$c" --tokens 16 --intermediate 16384
    B t16-$c-w256 "OMNIMOE_SKINNY_CM2=$c OMNIMOE_SKINNY_WGS=256" --tokens 16
    B i16384-t16-$c-w256 "OMNIMOE_SKINNY_CM2=$c OMNIMOE_SKINNY_WGS=256" --tokens 16 --intermediate 16384
  fi
done
b "gemm s32_128" env OMNIMOE_SKINNY_CM2=s32_128 ./gpu_gemm skinny --test-threads 4
b "layer s16_128w64" env OMNIMOE_SKINNY_CM2=s16_128w64 ./gpu_layer --test-threads 4
b "layer s32_128p16" env OMNIMOE_SKINNY_CM2=s32_128p16 ./gpu_layer --test-threads 4
grep -E "^(==|rc=|test result)|panicked|Case failed|WARN|ERROR" $L | cut -c1-240 | head -80
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-28s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
