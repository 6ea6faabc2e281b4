#!/bin/bash
# Forty-fifth session, probe on omnimoe-b (= d07ef77): the 32 × 64 tiles at K step 64 (~21.5 KiB: two
# workgroups an SM) with AHEAD2 on every dispatch (OMNIMOE_AHEAD2=always), for the gate/up GEMM of two
# rounds at K step 128 (I = 8192 at 32 rows: 258 tiles; OMNIMOE_FEW_TILE_GATE=eighth8:64) and the down
# projection in 256 workgroups (OMNIMOE_FEW_TILE_DOWN=eighth8:64, OMNIMOE_SPLIT_K_WGS=256).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r475; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r475.tgz .; return $rc; }
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-b; A=OMNIMOE_AHEAD2=always; G=OMNIMOE_FEW_TILE_GATE=eighth8:64; D=OMNIMOE_FEW_TILE_DOWN=eighth8:64; W=OMNIMOE_SPLIT_K_WGS=256
bench warmup A=1 $X bench --tokens 32
for i in 4096 8192 12288 16384; do
  bench i$i-t32 A=1 $X bench --tokens 32 --intermediate $i
  bench i$i-t32-g64 $A $G $X bench --tokens 32 --intermediate $i
  bench i$i-t32-d64w $A $D $W $X bench --tokens 32 --intermediate $i
  bench i$i-t32-d64 $D $X bench --tokens 32 --intermediate $i
done
bench i8192-t17 A=1 $X bench --tokens 17 --intermediate 8192
bench i8192-t17-g64 $A $G $X bench --tokens 17 --intermediate 8192
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
