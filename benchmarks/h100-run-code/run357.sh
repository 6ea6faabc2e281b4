#!/bin/bash
# Twenty-ninth session: the tiles with three steps' loads in flight (AHEAD3: three register sets by turns)
# beside two (AHEAD2) and one (the default), OMNIMOE_COOP_AHEAD=3 / 2 in every single-buffered build:
# run352/354's read at one workgroup an SM streamed faster with every word more in flight. gpu_gemm
# (every candidate) with three; per layer of a stack of 4 at 32 / 64 / 128 tokens and at I = 16384, 32
# tokens; two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r357; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r357.tgz .; }
b "test gpu_gemm ahead3" env OMNIMOE_COOP_AHEAD=3 ./gpu_gemm --test-threads 4
for r in 1 2; do
  for a in 1 2 3; do
    b "T=32 ahead$a $r" env OMNIMOE_COOP_AHEAD=$a ./omnimoe-f bench --dtype f16 --tokens 32 --layers 4 --runs 20 --no-autotune --json $R/m/t32-a$a-$r.json
  done
  for a in 1 3; do
    b "I=16384 T=32 ahead$a $r" env OMNIMOE_COOP_AHEAD=$a ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 10 --no-autotune --json $R/m/i16384-t32-a$a-$r.json
    b "T=64 ahead$a $r" env OMNIMOE_COOP_AHEAD=$a ./omnimoe-f bench --dtype f16 --tokens 64 --layers 4 --runs 20 --no-autotune --json $R/m/t64-a$a-$r.json
    b "T=128 ahead$a $r" env OMNIMOE_COOP_AHEAD=$a ./omnimoe-f bench --dtype f16 --tokens 128 --layers 4 --runs 20 --no-autotune --json $R/m/t128-a$a-$r.json
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
