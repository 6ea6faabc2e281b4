#!/bin/bash
# Forty-fifth session (omnimoe-c = 101e959 + the gate/up GEMM of up to 32 rows on the 32 × 64 tiles at K
# step 64 (~21.5 KiB, two workgroups an SM) first; AHEAD2's round counts the workgroups an SM holds;
# the few-row aids for every class of rows): gpu_layer (its strip test expected to fail: it asserts the
# strips) and gpu_prepared; side by side with OMNIMOE_AHEAD2=always and the former tiles
# (OMNIMOE_FEW_TILE_GATE=eighth8:128 / strip:64); probes at 64 and 128 rows (eighth8:64, half8:32).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-c gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r476; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r476.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-c; A=OMNIMOE_AHEAD2=always; G=OMNIMOE_FEW_TILE_GATE
bench warmup A=1 $X bench --tokens 32
for i in 4096 8192 12288 16384 32768; do
  bench i$i-t32 A=1 $X bench --tokens 32 --intermediate $i
  bench i$i-t32-always $A $X bench --tokens 32 --intermediate $i
  bench i$i-t32-old $G=eighth8:128 $X bench --tokens 32 --intermediate $i
done
for i in 12288 16384 32768; do
  bench i$i-t32-strip $G=strip:64 $X bench --tokens 32 --intermediate $i
done
bench i16384-t17 A=1 $X bench --tokens 17 --intermediate 16384
bench i16384-t17-strip $G=strip:64 $X bench --tokens 17 --intermediate 16384
bench i8192-t24 A=1 $X bench --tokens 24 --intermediate 8192
bench i8192-t24-old $G=eighth8:128 $X bench --tokens 24 --intermediate 8192
bench h2048-t32 A=1 $X bench --tokens 32 --hidden 2048
bench h2048-t32-old $G=eighth8:128 $X bench --tokens 32 --hidden 2048
for i in 4096 16384; do
  bench i$i-t64 A=1 $X bench --tokens 64 --intermediate $i
  bench i$i-t64-e64 $A $G=eighth8:64 $X bench --tokens 64 --intermediate $i
  bench i$i-t128 A=1 $X bench --tokens 128 --intermediate $i
  bench i$i-t128-h32 $A $G=half8:32 $X bench --tokens 128 --intermediate $i
done
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
