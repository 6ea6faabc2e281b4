#!/bin/bash
# Forty-second session, probe (skinny_persist.diff, omnimoe-p = 3fa582d + the aid): OMNIMOE_SKINNY_PERSIST=W
# runs a skinny GEMM on six or eight subgroups (the fewest ranges) on at most W workgroups in all, each
# subgroup taking every (workgroups x subgroups)-th block of 32 columns after its first: A staged once a
# workgroup, a block's stores followed at once by the next block's first loads, no second round of
# workgroups. The question: what a round of workgroups costs beyond its steps (A's staging, the first
# loads' latency, the stores).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r454; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r454.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm-p132 env OMNIMOE_SKINNY_PERSIST=132 ./gpu_gemm --test-threads 4 skinny
b gpu_gemm-p132-sg8 env OMNIMOE_SKINNY_PERSIST=132 OMNIMOE_SKINNY_SG=8 ./gpu_gemm --test-threads 4 skinny
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
for s in 16384:16 12288:16 10240:16 32768:16 8192:16 16384:9; do
  i=${s%:*}; t=${s#*:}
  bench i$i-t$t-base A=1 ./omnimoe-p bench --tokens $t --intermediate $i
  bench i$i-t$t-p132 OMNIMOE_SKINNY_PERSIST=132 ./omnimoe-p bench --tokens $t --intermediate $i
done
bench i16384-t16-sg8 OMNIMOE_SKINNY_SG=8 ./omnimoe-p bench --tokens 16 --intermediate 16384
bench i16384-t16-sg8-p132 OMNIMOE_SKINNY_SG=8 OMNIMOE_SKINNY_PERSIST=132 ./omnimoe-p bench --tokens 16 --intermediate 16384
bench i16384-t16-p264 OMNIMOE_SKINNY_PERSIST=264 ./omnimoe-p bench --tokens 16 --intermediate 16384
bench i32768-t16-p264 OMNIMOE_SKINNY_PERSIST=264 ./omnimoe-p bench --tokens 16 --intermediate 32768
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
