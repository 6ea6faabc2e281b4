#!/bin/bash
# Forty-fourth session (omnimoe-a = 8a708ef + strip tiles, a probe): the gate/up GEMM at 17-64 rows on
# 32 x 256 tiles (4 subgroups of 32 x 64, or 8 of 32 x 32) and 64 x 256 (4 of 64 x 64), forced through
# OMNIMOE_FEW_TILE_GATE, beside the default 32 x 64 / 64 x 64 tiles; digests equal where the K ranges are.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-a; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r466; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r466.tgz .; return $rc; }
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-a bench --tokens 32
for i in 4096 8192 16384; do
  bench i$i-t32 A=1 ./omnimoe-a bench --tokens 32 --intermediate $i
  bench i$i-t32-s4 OMNIMOE_FEW_TILE_GATE=strip32:64 ./omnimoe-a bench --tokens 32 --intermediate $i
  bench i$i-t32-s8 OMNIMOE_FEW_TILE_GATE=strip32x8:64 ./omnimoe-a bench --tokens 32 --intermediate $i
done
bench i16384-t17 A=1 ./omnimoe-a bench --tokens 17 --intermediate 16384
bench i16384-t17-s4 OMNIMOE_FEW_TILE_GATE=strip32:64 ./omnimoe-a bench --tokens 17 --intermediate 16384
for i in 4096 16384; do
  bench i$i-t64 A=1 ./omnimoe-a bench --tokens 64 --intermediate $i
  bench i$i-t64-s64 OMNIMOE_FEW_TILE_GATE=strip64:32 ./omnimoe-a bench --tokens 64 --intermediate $i
done
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
grep -h "gate_up  alone" $L | sort | uniq -c | head -20
