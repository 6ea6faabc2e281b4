#!/bin/bash
# Twenty-ninth session: the few-row tiles with twice the subgroups, each half multiplying half of every K
# step's k16 slices (KS2): 32 × 32 over 8 subgroups (sixteenth8, 22 KiB: two an SM where an SM has 48
# KiB) and 32 × 64 over 16 (eighth16, one an SM), beside the default 32 × 64 over 8 (eighth8), forced on
# both GEMMs (OMNIMOE_FEW_TILE_GATE / _DOWN). gpu_gemm (every candidate, the new ones among them) first.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r353; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r353.tgz .; }
./pipeline_stats gemm_coop > $R/stats.txt 2>&1
b "test gpu_gemm" ./gpu_gemm --test-threads 4
for r in 1 2; do
  for t in eighth8 sixteenth8 eighth16; do
    b "T=32 $t $r" env OMNIMOE_FEW_TILE_GATE=$t:128 OMNIMOE_FEW_TILE_DOWN=$t:128 ./omnimoe-f bench --dtype f16 --tokens 32 --layers 4 --runs 20 --no-autotune --json $R/m/t32-$t-$r.json
    b "I=16384 T=32 $t $r" env OMNIMOE_FEW_TILE_GATE=$t:128 OMNIMOE_FEW_TILE_DOWN=$t:128 ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 10 --no-autotune --json $R/m/i16384-t32-$t-$r.json
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
grep -E 'KS2' $R/stats.txt | grep -v f32 | cut -c1-220 | head -8
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"layer_ms": *[0-9.]*' $f | head -1)"; done
