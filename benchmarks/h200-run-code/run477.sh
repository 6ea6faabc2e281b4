#!/bin/bash
# Forty-fifth session, the final build (omnimoe-d = 101e959 + the gate/up GEMM of up to 32 rows on the
# 32 × 64 tiles at K step 64, two an SM, where its tiles are more than a round of one an SM; AHEAD2 on
# the 32 × 64 and 64 × 128 tiles in every range of 8 steps or more): all four GPU test binaries; side by
# side with the session's start ("b": OMNIMOE_AHEAD2=off and the former first tile, the strips from
# I = 12288 and the 32 × 64 tiles at K step 128 below); the token sweep of the README's sizes.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-d gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r477; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r477.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-d; OFF=OMNIMOE_AHEAD2=off; G=OMNIMOE_FEW_TILE_GATE
bench warmup A=1 $X bench --tokens 32
for t in 32 17; do
  bench i4096-t$t A=1 $X bench --tokens $t
  bench i4096-t$t-b $OFF $X bench --tokens $t
  bench i16384-t$t A=1 $X bench --tokens $t --intermediate 16384
  bench i16384-t$t-b $OFF $G=strip:64 $X bench --tokens $t --intermediate 16384
done
bench i8192-t32 A=1 $X bench --tokens 32 --intermediate 8192
bench i8192-t32-b $OFF $G=eighth8:128 $X bench --tokens 32 --intermediate 8192
for i in 12288 32768; do
  bench i$i-t32 A=1 $X bench --tokens 32 --intermediate $i
  bench i$i-t32-b $OFF $G=strip:64 $X bench --tokens 32 --intermediate $i
done
bench h2048-t32 A=1 $X bench --tokens 32 --hidden 2048
bench h2048-t32-b $OFF $X bench --tokens 32 --hidden 2048
for t in 128 256; do for i in 4096 16384; do
  bench i$i-t$t A=1 $X bench --tokens $t --intermediate $i
  bench i$i-t$t-b $OFF $X bench --tokens $t --intermediate $i
done; done
b sweep $X bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
