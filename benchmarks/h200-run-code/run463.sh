#!/bin/bash
# Forty-third session (omnimoe-v = 711bbdd + gemv_round_fill.diff): the GEMV on 32 lanes a column
# instead of 16 where 32's workgroups fill their rounds (round_fill in src/gpu/stages/gemv/mod.rs; the
# gate/up GEMV of H = 1024 at I = 10240, 12288, 20480), beside OMNIMOE_GEMV_ROUNDS=off (as before).
# All four GPU test binaries on this build (gpu_stages also for 711bbdd's skinny shader).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-v gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r463; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 120 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r463.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-v bench --tokens 8 --intermediate 12288
for i in 12288 10240 20480; do
  for t in 8 5 3 1; do
    bench i$i-t$t-off OMNIMOE_GEMV_ROUNDS=off ./omnimoe-v bench --tokens $t --intermediate $i
    bench i$i-t$t-fill A=1 ./omnimoe-v bench --tokens $t --intermediate $i
  done
done
bench i16384-t8-fill A=1 ./omnimoe-v bench --tokens 8 --intermediate 16384
bench i4096-t8-fill A=1 ./omnimoe-v bench --tokens 8 --intermediate 4096
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
