#!/bin/bash
# Thirtieth session: the few-row tiles' staged blocks in vec4<f16> / f16 elements instead of vec2<f16>
# (OMNIMOE_FEW_SMEM_VEC=4 / 1): the fragment loads through an 8-byte element. gpu_layer with 4; the GEMMs
# alone and per layer of 4 at 32 / 64 / 128 tokens, and at I = 16384, beside the default; two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r359; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r359.tgz .; }
b "test gpu_layer smem4" env OMNIMOE_FEW_SMEM_VEC=4 ./gpu_layer --test-threads 4
for r in 1 2; do
  for v in 2 4 1; do
    for t in 32 64 128; do
      b "T=$t L1 v$v $r" env OMNIMOE_FEW_SMEM_VEC=$v ./omnimoe-f bench --dtype f16 --tokens $t --layers 1 --runs 20 --no-autotune --json $R/m/t$t-v$v-$r.json
      b "T=$t L4 v$v $r" env OMNIMOE_FEW_SMEM_VEC=$v ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/L4-t$t-v$v-$r.json
    done
    b "I=16384 T=32 v$v $r" env OMNIMOE_FEW_SMEM_VEC=$v ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 20 --no-autotune --json $R/m/i16384-t32-v$v-$r.json
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
