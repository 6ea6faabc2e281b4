#!/bin/bash
# Forty-sixth session, probes on omnimoe-f (= f818c61 + the OMNIMOE_SUM8 aid, unused here): (1) a wide
# layer's down projection of 64 tiles (H = 4096 at 64 and 128 rows: the 64 × 64 tiles with their staging
# in turns, the 64 × 128 tiles), which split_k leaves whole (64 = half of 128 workgroups), against 4
# ranges (OMNIMOE_SPLIT_K_WGS=256) and 3 (=129); H = 2048 at 64 rows in 8 ranges (=256) against 4;
# (2) the down projection at 64 rows on the 32 × 64 tiles with their staging in turns at K step 64
# (two row tiles, 8 ranges of 256 workgroups) against the 64 × 64 tiles at K step 128; (3) the README's
# layer at 17 rows (issue 13's item 1, the down projection's marginal rate from I = 4096).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r481; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r481.tgz .; return $rc; }
bench() { local n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-f; W=OMNIMOE_SPLIT_K_WGS; TT=OMNIMOE_FEW_TILE_DOWN=eighth8turns:64
bench warmup A=1 $X bench --tokens 32
for t in 64 128; do
  bench h4096-i16384-t$t A=1 $X bench --tokens $t --hidden 4096 --intermediate 16384
  bench h4096-i16384-t$t-w256 $W=256 $X bench --tokens $t --hidden 4096 --intermediate 16384
  bench h4096-i16384-t$t-w129 $W=129 $X bench --tokens $t --hidden 4096 --intermediate 16384
done
bench h2048-i8192-t64 A=1 $X bench --tokens 64 --hidden 2048 --intermediate 8192
bench h2048-i8192-t64-w256 $W=256 $X bench --tokens 64 --hidden 2048 --intermediate 8192
for i in 4096 8192 16384; do
  bench h1024-i$i-t64 A=1 $X bench --tokens 64 --intermediate $i
  bench h1024-i$i-t64-tt64 $TT $X bench --tokens 64 --intermediate $i
done
bench h1024-i4096-t17 A=1 $X bench --tokens 17
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
