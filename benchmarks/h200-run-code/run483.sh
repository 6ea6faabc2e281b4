#!/bin/bash
# Forty-sixth session, probe on omnimoe-h (= 7de59fd + the 64 × 64 tiles with their staging in turns at
# K step 32 as an autotune candidate, ~14 KiB: two an SM with the router's beside them): gpu_gemm (every
# proptest runs the new build); the down projection at 64 rows on them (OMNIMOE_FEW_TILE_DOWN=
# quarter8turns:32, 256 workgroups), with AHEAD2 (OMNIMOE_AHEAD2=every), and at K step 64 (~22.4 KiB, two
# an SM, no room for the router's), against the default (K step 128, one an SM, 128 workgroups).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r483; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r483.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { local n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-h; D=OMNIMOE_FEW_TILE_DOWN
bench warmup A=1 $X bench --tokens 64
for i in 4096 8192 16384; do
  bench i$i-t64 A=1 $X bench --tokens 64 --intermediate $i
  bench i$i-t64-q32 $D=quarter8turns:32 $X bench --tokens 64 --intermediate $i
  bench i$i-t64-q32a $D=quarter8turns:32 OMNIMOE_AHEAD2=every $X bench --tokens 64 --intermediate $i
  bench i$i-t64-q64 $D=quarter8turns:64 $X bench --tokens 64 --intermediate $i
done
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
grep -h "down     alone" $L | sed 's/.*(Coop/(Coop/' | sort | uniq -c
