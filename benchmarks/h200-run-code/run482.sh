#!/bin/bash
# Forty-sixth session, omnimoe-g (= f818c61 + split_k: a tensor-core GEMM of half of ~128 workgroups or
# fewer, 64 tiles, gets ranges; before, 64 tiles ran whole): all four GPU test binaries; a wide layer's
# down projection of 64 tiles (H = 4096, I = 16384 at 64 and 128 rows) in 2 ranges now, whole as before
# (OMNIMOE_SPLIT_K_WGS=127) and in 4 ranges (=256); the final build at I = 4096 and 16384, 32 rows.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-g gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r482; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r482.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { local n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-g; W=OMNIMOE_SPLIT_K_WGS
bench warmup A=1 $X bench --tokens 32
for t in 64 128; do
  bench h4096-i16384-t$t A=1 $X bench --tokens $t --hidden 4096 --intermediate 16384
  bench h4096-i16384-t$t-w127 $W=127 $X bench --tokens $t --hidden 4096 --intermediate 16384
  bench h4096-i16384-t$t-w256 $W=256 $X bench --tokens $t --hidden 4096 --intermediate 16384
done
bench h1024-i4096-t32 A=1 $X bench --tokens 32
bench h1024-i16384-t32 A=1 $X bench --tokens 32 --intermediate 16384
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
