#!/bin/bash
# (run479.sh: its bench() overwrote $n, so its files were named after every aid before them; they were
# renamed after the run to -tt64, -e64, -e64w128 and -tt128, what each ran.)
# Forty-sixth session, probe on omnimoe-e (= 13933a5 + the 32 × 64 tiles with their staging in turns,
# CoopTile::Eighth8Turns, ~17.5 KiB at K step 64; split-K aiming at two workgroups an SM for configs that
# fit two, CoopConfig::per_sm): all four GPU test binaries (their 64-row cases had run only on lavapipe;
# the new tile in ahead2_tiles_match_cpu and every gpu_gemm proptest); the down projection of up to 32
# rows forced onto eighth8turns:64 (256 workgroups), eighth8:64 (256), eighth8:64 at 128
# (OMNIMOE_SPLIT_K_WGS=64) and eighth8turns:128 (128), against the default (eighth8:128, 128).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-e gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r479; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r479.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-e; D=OMNIMOE_FEW_TILE_DOWN
bench warmup A=1 $X bench --tokens 32
for p in "32 4096" "32 8192" "32 12288" "32 16384" "32 32768" "17 8192" "17 16384"; do
  set -- $p; t=$1; i=$2; n=i$i-t$t
  bench $n A=1 $X bench --tokens $t --intermediate $i
  bench $n-tt64 $D=eighth8turns:64 $X bench --tokens $t --intermediate $i
  bench $n-e64 $D=eighth8:64 $X bench --tokens $t --intermediate $i
  bench $n-e64w128 $D=eighth8:64 OMNIMOE_SPLIT_K_WGS=64 $X bench --tokens $t --intermediate $i
  bench $n-tt128 $D=eighth8turns:128 $X bench --tokens $t --intermediate $i
done
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
