#!/bin/bash
# Forty-sixth session, omnimoe-f (= omnimoe-e + the layer's rule: a down projection of up to 32 rows
# whose ranges for 256 workgroups are at least 768 deep runs on the 32 × 64 tiles with their staging in
# turns at K step 64; probe aid OMNIMOE_SUM8=1: the expert stage loads 8 ranges of the down projection's
# partial products at a time instead of 4): all four GPU test binaries; the new rule side by side with the
# former tile (OMNIMOE_FEW_TILE_DOWN=eighth8:128), each with and without SUM8.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r480; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r480.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { local n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-f; OLD=OMNIMOE_FEW_TILE_DOWN=eighth8:128; S8=OMNIMOE_SUM8=1
bench warmup A=1 $X bench --tokens 32
for p in "32 1024 12288" "32 1024 16384" "17 1024 16384" "32 1024 32768" "32 2048 8192" "32 4096 16384"; do
  set -- $p; t=$1; h=$2; i=$3; n=h$h-i$i-t$t
  bench $n A=1 $X bench --tokens $t --hidden $h --intermediate $i
  bench $n-old $OLD $X bench --tokens $t --hidden $h --intermediate $i
  bench $n-s8 $S8 $X bench --tokens $t --hidden $h --intermediate $i
  bench $n-old-s8 $OLD $S8 $X bench --tokens $t --hidden $h --intermediate $i
done
for i in 4096 8192; do
  bench h1024-i$i-t32 A=1 $X bench --tokens 32 --intermediate $i
  bench h1024-i$i-t32-s8 $S8 $X bench --tokens 32 --intermediate $i
done
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
