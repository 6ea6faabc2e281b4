#!/bin/bash
# Twenty-sixth session, probe: the skinny kernel again at 17-64 rows (OMNIMOE_SKINNY_MAX_M=64; since the
# eleventh session the 64 x 64 tiles run them), with two steps in flight in its 32-step builds where a
# range holds 8 of them (OMNIMOE_SKINNY_AHEAD2=step32), beside the same binary's default: gpu_gemm's skinny
# tests and gpu_layer with both; the GEMMs alone and per layer of a stack of 4 at 24, 32, 64 tokens
# (I = 4096, and 32 at I = 16384), two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r325; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r325.tgz .; }
b "test gpu_gemm skinny step32" env OMNIMOE_SKINNY_AHEAD2=step32 ./gpu_gemm --test-threads 4 skinny
b "test gpu_layer max64 step32" env OMNIMOE_SKINNY_MAX_M=64 OMNIMOE_SKINNY_AHEAD2=step32 ./gpu_layer --test-threads 4
for r in 1 2; do for v in tiles skinny skinny2; do
  case $v in tiles) X="./omnimoe-f";; skinny) X="env OMNIMOE_SKINNY_MAX_M=64 ./omnimoe-f";; skinny2) X="env OMNIMOE_SKINNY_MAX_M=64 OMNIMOE_SKINNY_AHEAD2=step32 ./omnimoe-f";; esac
  for t in 24 32 64; do
    b "I=4096 T=$t $v" $X bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i4096-t$t-$v-$r.json
  done
  b "I=16384 T=32 $v" $X bench --dtype f16 --intermediate 16384 --tokens 32 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t32-$v-$r.json
done; done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of" $L | cut -c1-200
