#!/bin/bash
# Forty-third session, probe (skinny_gate32.diff on top of coop_kgroups.diff; omnimoe-t):
# OMNIMOE_SKINNY_GATE32 runs the gate/up GEMM of 17-32 rows on the skinny kernel (the down projection
# on the tiles as built): six subgroups at 32 k a step with A 512 deep (~47.5 KiB), two K ranges, one
# round (or OMNIMOE_SKINNY_SG=4: four subgroups, two ranges, every column workgroup). GPU tests with it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r459; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 120 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r459.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm-gate32 env OMNIMOE_SKINNY_GATE32=1 ./gpu_gemm --test-threads 4 skinny
b gpu_layer-gate32 env OMNIMOE_SKINNY_GATE32=1 ./gpu_layer --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-t bench --tokens 32 --intermediate 16384
for i in 16384 4096 8192; do
  for t in 32 24 17; do
    bench i$i-t$t-base A=1 ./omnimoe-t bench --tokens $t --intermediate $i
    bench i$i-t$t-g6 OMNIMOE_SKINNY_GATE32=1 ./omnimoe-t bench --tokens $t --intermediate $i
    bench i$i-t$t-g4 OMNIMOE_SKINNY_GATE32=1 OMNIMOE_SKINNY_SG=4 ./omnimoe-t bench --tokens $t --intermediate $i
  done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
