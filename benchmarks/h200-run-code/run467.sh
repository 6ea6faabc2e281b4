#!/bin/bash
# Forty-fourth session (omnimoe-b = omnimoe-a + AHEAD2 for the strip tiles, OMNIMOE_COOP_AHEAD2): two
# steps' loads in flight on the 32 x 256 tiles, at I = 8192 (3 K ranges by OMNIMOE_SPLIT_K_WGS=130),
# 12288, 16384 and 32768; the 64 x 256 tiles at 64 rows with it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r467; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r467.tgz .; return $rc; }
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-b; G=OMNIMOE_FEW_TILE_GATE; A2=OMNIMOE_COOP_AHEAD2=1
bench warmup A=1 $X bench --tokens 32
bench i16384-t32 A=1 $X bench --tokens 32 --intermediate 16384
bench i16384-t32-s4 $G=strip32:64 $X bench --tokens 32 --intermediate 16384
bench i16384-t32-s4a $G=strip32:64 $A2 $X bench --tokens 32 --intermediate 16384
bench i16384-t32-s8a $G=strip32x8:64 $A2 $X bench --tokens 32 --intermediate 16384
bench i16384-t32-s4k32a $G=strip32:32 $A2 $X bench --tokens 32 --intermediate 16384
bench i12288-t32 A=1 $X bench --tokens 32 --intermediate 12288
bench i12288-t32-s4 $G=strip32:64 $X bench --tokens 32 --intermediate 12288
bench i12288-t32-s8a $G=strip32x8:64 $A2 $X bench --tokens 32 --intermediate 12288
bench i8192-t32 A=1 $X bench --tokens 32 --intermediate 8192
bench i8192-t32-s8a3 $G=strip32x8:64 $A2 OMNIMOE_SPLIT_K_WGS=130 $X bench --tokens 32 --intermediate 8192
bench i8192-t32-s4-3 $G=strip32:64 OMNIMOE_SPLIT_K_WGS=130 $X bench --tokens 32 --intermediate 8192
bench i32768-t32 A=1 $X bench --tokens 32 --intermediate 32768
bench i32768-t32-s4 $G=strip32:64 $X bench --tokens 32 --intermediate 32768
bench i32768-t32-s8a $G=strip32x8:64 $A2 $X bench --tokens 32 --intermediate 32768
bench i16384-t64 A=1 $X bench --tokens 64 --intermediate 16384
bench i16384-t64-s64a $G=strip64:32 $A2 $X bench --tokens 64 --intermediate 16384
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
