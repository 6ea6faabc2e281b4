#!/bin/bash
# Twenty-ninth session: (1) does a workgroup barrier wait for the loads in flight? The read probe with two
# words a lane in flight, the loop written out two iterations a pass (lat2; run352's `pipe` copied a
# register whose load was in flight), with a workgroup barrier before each fold (bar), a subgroup one
# (sbar), one with no memory semantics (nbar). (2) The 32 × 32 tiles over 8 subgroups (KS2) for the
# gate/up GEMM only, the down projection on the default 32 × 64 tiles, per layer of a stack of 4 at 17,
# 24 and 32 tokens beside the default; the down projection on them at 8 K ranges (OMNIMOE_SPLIT_K_WGS
# 256). gpu_layer and gpu_prepared with the gate/up GEMM forced onto them.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r354; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r354.tgz .; }
run() { b "$1 $2" env OMNIMOE_READ_PROBE=$1 OMNIMOE_READ_PER_WG=$2 ./omnimoe-f bench --dtype f16 --tokens 1 --layers 1 --runs 3 --no-autotune --json $R/m/read-$1-$2.json; }
for w in 8070 4035; do
  for m in lat lat2 lat2,bar lat2,sbar lat2,nbar; do run $m $w; done
done
b "test gpu_layer s8" env OMNIMOE_FEW_TILE_GATE=sixteenth8:128 ./gpu_layer --test-threads 4
b "test gpu_prepared s8" env OMNIMOE_FEW_TILE_GATE=sixteenth8:128 ./gpu_prepared --test-threads 4
for r in 1 2; do
  for t in 32 24 17; do
    b "T=$t base $r" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-base-$r.json
    b "T=$t s8 gate $r" env OMNIMOE_FEW_TILE_GATE=sixteenth8:128 ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-s8g-$r.json
  done
  b "T=32 s8 both 8 ranges $r" env OMNIMOE_FEW_TILE_GATE=sixteenth8:128 OMNIMOE_FEW_TILE_DOWN=sixteenth8:128 OMNIMOE_SPLIT_K_WGS=256 ./omnimoe-f bench --dtype f16 --tokens 32 --layers 4 --runs 20 --no-autotune --json $R/m/t32-s8b256-$r.json
  b "I=16384 T=32 base $r" ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 10 --no-autotune --json $R/m/i16384-t32-base-$r.json
  b "I=16384 T=32 s8 gate $r" env OMNIMOE_FEW_TILE_GATE=sixteenth8:128 ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 10 --no-autotune --json $R/m/i16384-t32-s8g-$r.json
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
