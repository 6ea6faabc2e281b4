#!/bin/bash
# Forty-fourth session (omnimoe-d = 11d7e94 + probes): the strips' staged blocks as vec4<f16>
# (OMNIMOE_FEW_TILE_GATE=strip:64:4), three K steps in flight (OMNIMOE_COOP_AHEAD3), the strips at 64
# rows (two row tiles, forced); gpu_gemm's strip and whole/edge tests with three steps in flight.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-d gpu_gemm-d; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r469; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r469.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm-a3 env OMNIMOE_COOP_AHEAD3=1 ./gpu_gemm-d --test-threads 4 strips whole
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-d; G=OMNIMOE_FEW_TILE_GATE
bench warmup A=1 $X bench --tokens 32
bench i4096-t32 A=1 $X bench --tokens 32
for i in 16384 12288; do
  bench i$i-t32 A=1 $X bench --tokens 32 --intermediate $i
  bench i$i-t32-v4 $G=strip:64:4 $X bench --tokens 32 --intermediate $i
  bench i$i-t32-a3 OMNIMOE_COOP_AHEAD3=1 $X bench --tokens 32 --intermediate $i
done
bench i16384-t32-a3v4 OMNIMOE_COOP_AHEAD3=1 $G=strip:64:4 $X bench --tokens 32 --intermediate 16384
bench i16384-t24 A=1 $X bench --tokens 24 --intermediate 16384
bench i4096-t64 A=1 $X bench --tokens 64
bench i16384-t64 A=1 $X bench --tokens 64 --intermediate 16384
bench i16384-t64-strip $G=strip:64 $X bench --tokens 64 --intermediate 16384
bench i16384-t48-strip $G=strip:64 $X bench --tokens 48 --intermediate 16384
bench i16384-t48 A=1 $X bench --tokens 48 --intermediate 16384
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
