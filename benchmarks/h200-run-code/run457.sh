#!/bin/bash
# Forty-second session, probe (skinny_max_m32.diff, omnimoe-r = 692672d + the aid): OMNIMOE_SKINNY_MAX_M=32
# lets layers run the skinny kernel up to 32 rows (the tiles from 17 as built), its 32-k builds for
# 17-32 rows taking six or eight subgroups as the 64-k ones do (A staged half as deep, the fewest
# ranges, one round of workgroups). gpu_gemm's skinny tests (now at 32 rows too) and gpu_layer with it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-r gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r457; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r457.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm-m32 env OMNIMOE_SKINNY_MAX_M=32 ./gpu_gemm --test-threads 4 skinny
b gpu_layer-m32 env OMNIMOE_SKINNY_MAX_M=32 ./gpu_layer --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-r bench --tokens 32 --intermediate 16384
for s in 16384:32 16384:24 4096:32 4096:24 4096:17 8192:32; do
  i=${s%:*}; t=${s#*:}
  bench i$i-t$t-base A=1 ./omnimoe-r bench --tokens $t --intermediate $i
  bench i$i-t$t-m32 OMNIMOE_SKINNY_MAX_M=32 ./omnimoe-r bench --tokens $t --intermediate $i
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
