#!/bin/bash
# Thirtieth session: the tiles' loads made with no branch around each (NOBR, OMNIMOE_COOP_NOBR: the load
# at index 0 outside the guard, its value dropped by a select), alone and with two / three steps in flight
# (coop_ahead3.diff, OMNIMOE_COOP_AHEAD): if each guarded load's branch made the driver wait for every
# load in flight before a step's stores, the steps ahead never overlapped. gpu_gemm with three + NOBR;
# gemm_stream at 32 tokens (I = 4096, 16384), per layer of 4 at 64 / 128 tokens; two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r362; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r362.tgz .; }
b "test gpu_gemm ahead3 nobr" env OMNIMOE_COOP_AHEAD=3 OMNIMOE_COOP_NOBR=1 ./gpu_gemm --test-threads 4
for r in 1 2; do
  for c in a1 a1n a2n a3n a3; do
    E="env OMNIMOE_COOP_AHEAD=${c:1:1}"
    [ ${#c} = 3 ] && E="$E OMNIMOE_COOP_NOBR=1"
    b "T=32 $c $r" $E ./omnimoe-f bench --dtype f16 --tokens 32 --layers 1 --runs 20 --no-autotune --json $R/m/t32-$c-$r.json
    b "I=16384 T=32 $c $r" $E ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 20 --no-autotune --json $R/m/i16384-t32-$c-$r.json
    b "T=64 L4 $c $r" $E ./omnimoe-f bench --dtype f16 --tokens 64 --layers 4 --runs 20 --no-autotune --json $R/m/L4-t64-$c-$r.json
    b "T=128 L4 $c $r" $E ./omnimoe-f bench --dtype f16 --tokens 128 --layers 4 --runs 20 --no-autotune --json $R/m/L4-t128-$c-$r.json
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
