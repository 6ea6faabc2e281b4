#!/bin/bash
# Forty-fifth session (omnimoe-b = f4878f4 + AHEAD2 on the 32 × 64 and 64 × 128 tiles over 8 subgroups
# where their workgroups run in one round and each K range has 8 steps or more, `CoopConfig::ahead2`):
# all four GPU test binaries (gpu_gemm with the new ahead2_tiles_match_cpu); side by side with
# OMNIMOE_AHEAD2=off (the strips only, as f4878f4) and =always (every dispatch of those tiles).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r474; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r474.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-b; A=OMNIMOE_AHEAD2
bench warmup A=1 $X bench --tokens 32
for p in "4096 17" "4096 32" "4096 128" "4096 256" "8192 32" "12288 32" "16384 32" "16384 128" "32768 32"; do
  set -- $p
  bench i$1-t$2 A=1 $X bench --tokens $2 --intermediate $1
  bench i$1-t$2-off $A=off $X bench --tokens $2 --intermediate $1
done
for p in "4096 32" "8192 32" "4096 256"; do
  set -- $p
  bench i$1-t$2-always $A=always $X bench --tokens $2 --intermediate $1
done
bench h2048-t32 A=1 $X bench --tokens 32 --hidden 2048
bench h2048-t32-off $A=off $X bench --tokens 32 --hidden 2048
bench i4096-t64 A=1 $X bench --tokens 64
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
