#!/bin/bash
# Twenty-ninth session: the tensor-core tiles with two steps' loads in flight (AHEAD2, one buffer, the loop
# written out two steps an iteration; OMNIMOE_COOP_AHEAD2 puts it in every single-buffered build), now that
# run354 found that a workgroup barrier does not wait for loads in flight. gpu_gemm (every candidate) and
# gpu_layer with it; per layer of a stack of 4 at 32 / 64 / 128 / 256 tokens and at I = 16384, 32 tokens,
# beside the build without it, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r355; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r355.tgz .; }
b "test gpu_gemm ahead2" env OMNIMOE_COOP_AHEAD2=1 ./gpu_gemm --test-threads 4
b "test gpu_layer ahead2" env OMNIMOE_COOP_AHEAD2=1 ./gpu_layer --test-threads 4
for r in 1 2; do
  for t in 32 64 128 256; do
    b "T=$t base $r" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-base-$r.json
    b "T=$t ahead2 $r" env OMNIMOE_COOP_AHEAD2=1 ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-a2-$r.json
  done
  b "I=16384 T=32 base $r" ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 10 --no-autotune --json $R/m/i16384-t32-base-$r.json
  b "I=16384 T=32 ahead2 $r" env OMNIMOE_COOP_AHEAD2=1 ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 10 --no-autotune --json $R/m/i16384-t32-a2-$r.json
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
