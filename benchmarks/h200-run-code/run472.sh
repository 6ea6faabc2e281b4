#!/bin/bash
# Forty-fourth session (omnimoe-g = 7920516 + 32 x 128 strips over 4 subgroups, HalfStrip: ROW4, FN2,
# AHEAD2, ~26.5 KiB, among the candidates): all four GPU test binaries; the down projection on them
# within the 40 KiB beside the router (OMNIMOE_FEW_TILE_DOWN=halfstrip:64) and the gate/up GEMM at
# I = 8192 (129 of them, OMNIMOE_FEW_TILE_GATE=halfstrip:64).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-g gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r472; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r472.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-g; G=OMNIMOE_FEW_TILE_GATE; D=OMNIMOE_FEW_TILE_DOWN
bench warmup A=1 $X bench --tokens 32
for i in 4096 16384; do
  bench i$i-t32 A=1 $X bench --tokens 32 --intermediate $i
  bench i$i-t32-dh $D=halfstrip:64 $X bench --tokens 32 --intermediate $i
done
bench i16384-t17-dh $D=halfstrip:64 $X bench --tokens 17 --intermediate 16384
bench i8192-t32 A=1 $X bench --tokens 32 --intermediate 8192
bench i8192-t32-gh $G=halfstrip:64 $X bench --tokens 32 --intermediate 8192
bench i8192-t32-dh $D=halfstrip:64 $X bench --tokens 32 --intermediate 8192
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
