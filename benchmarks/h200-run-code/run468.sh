#!/bin/bash
# Forty-fourth session (omnimoe-c = 8a708ef + the strips: the gate/up GEMM of 17-32 rows on 32 x 256
# tiles over 8 subgroups with two K steps' loads in flight, from 96 strips; the tiles' register sets
# passed to load_block_into / store_block_from). All four GPU test binaries; the README's sizes against
# run465/run466 (the same kernels there); the rule on and off (OMNIMOE_STRIP=off); the down projection
# on strips (OMNIMOE_FEW_TILE_DOWN=strip:64, a probe).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-c gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r468; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r468.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-c
bench warmup A=1 $X bench --tokens 32
for t in 32 64 128 256; do bench i4096-t$t A=1 $X bench --tokens $t; done
for t in 17 24 32; do bench i12288-t$t A=1 $X bench --tokens $t --intermediate 12288; done
bench i12288-t32-off OMNIMOE_STRIP=off $X bench --tokens 32 --intermediate 12288
for t in 17 32; do bench i16384-t$t A=1 $X bench --tokens $t --intermediate 16384; done
bench i16384-t32-off OMNIMOE_STRIP=off $X bench --tokens 32 --intermediate 16384
bench i32768-t32 A=1 $X bench --tokens 32 --intermediate 32768
bench i8192-t32 A=1 $X bench --tokens 32 --intermediate 8192
bench i16384-t32-down OMNIMOE_FEW_TILE_DOWN=strip:64 $X bench --tokens 32 --intermediate 16384
bench i4096-t32-down OMNIMOE_FEW_TILE_DOWN=strip:64 $X bench --tokens 32
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
