#!/bin/bash
# Forty-fourth session (omnimoe-e = 940ab63 + probes): 64 x 256 strips over 8 subgroups of 32 x 64 at K
# step 32 with two steps in flight (Strip64, OMNIMOE_FEW_TILE_GATE=strip64:32) at 48-64 rows; the 32-row
# strips at K step 32 (A's chunks fewer than the invocations) for the gate/up GEMM and, within the 40
# KiB beside the router, the down projection (OMNIMOE_FEW_TILE_DOWN=strip:32). gpu_gemm with both among
# the candidates.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-e gpu_gemm-e; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r470; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r470.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm-e --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-e; G=OMNIMOE_FEW_TILE_GATE; D=OMNIMOE_FEW_TILE_DOWN
bench warmup A=1 $X bench --tokens 64
bench i4096-t64 A=1 $X bench --tokens 64
bench i4096-t64-s64 $G=strip64:32 $X bench --tokens 64
bench i16384-t64 A=1 $X bench --tokens 64 --intermediate 16384
bench i16384-t64-s64 $G=strip64:32 $X bench --tokens 64 --intermediate 16384
bench i16384-t48-s64 $G=strip64:32 $X bench --tokens 48 --intermediate 16384
bench i12288-t64 A=1 $X bench --tokens 64 --intermediate 12288
bench i12288-t64-s64 $G=strip64:32 $X bench --tokens 64 --intermediate 12288
bench i16384-t32 A=1 $X bench --tokens 32 --intermediate 16384
bench i16384-t32-g32 $G=strip:32 $X bench --tokens 32 --intermediate 16384
bench i16384-t32-d32 $D=strip:32 $X bench --tokens 32 --intermediate 16384
bench i4096-t32 A=1 $X bench --tokens 32
bench i4096-t32-d32 $D=strip:32 $X bench --tokens 32
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
