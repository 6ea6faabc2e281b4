#!/bin/bash
# Forty-second session, probes (skinny_bs2_down8.diff, omnimoe-z = 046d445 + the aids):
# OMNIMOE_SKINNY_BS2=1: the skinny kernel's STAGED block of B in vec2<f16> elements instead of vec4<f16>
# (four stores a 16-byte load instead of two; the few-row tiles found vec2 15-30% faster, thirtieth
# session). OMNIMOE_SKINNY_DOWN8=1: the down projection (beside the router) on eight subgroups at 32 k a
# step where four's workgroups do not run at once and eight's do (I = 12288 and 16384 at H = 1024).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-z gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r452; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r452.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm-bs2 env OMNIMOE_SKINNY_BS2=1 ./gpu_gemm --test-threads 4 skinny
b gpu_layer-both env OMNIMOE_SKINNY_BS2=1 OMNIMOE_SKINNY_DOWN8=1 ./gpu_layer --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
for s in 16384:16 12288:16 4096:16 8192:16 16384:9; do
  i=${s%:*}; t=${s#*:}
  bench i$i-t$t-base A=1 ./omnimoe-z bench --tokens $t --intermediate $i
  bench i$i-t$t-bs2 OMNIMOE_SKINNY_BS2=1 ./omnimoe-z bench --tokens $t --intermediate $i
  bench i$i-t$t-down8 OMNIMOE_SKINNY_DOWN8=1 ./omnimoe-z bench --tokens $t --intermediate $i
  bench i$i-t$t-both OMNIMOE_SKINNY_BS2=1 OMNIMOE_SKINNY_DOWN8=1 ./omnimoe-z bench --tokens $t --intermediate $i
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
