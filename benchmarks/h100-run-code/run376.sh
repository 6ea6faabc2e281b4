#!/bin/bash
# Thirty-first session, timing only: is the 32-row tiles' step with B's fragments from the storage buffer
# (FRAGB, run373) slower than the staged one by its loads' latency or by its work in the SM? FRAGNOB
# (OMNIMOE_COOP_FRAGB=n): every step the range's first step's fragments (from the cache; wrong sums),
# beside FRAGB and the default, gemm_stream at 32 tokens; and the driver's register count and code size
# for the FRAGB / FRAGA builds (pipeline_stats).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r376; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r376.tgz .; }
for c in none 1 a; do
  E="env"; [ $c != none ] && E="$E OMNIMOE_COOP_FRAGB=$c"
  b "stats $c" $E ./pipeline_stats gemm_coop
done
for round in 1 2; do
for i in 4096 16384; do
  for c in def 1 n; do
    E="env"; [ $c != def ] && E="$E OMNIMOE_COOP_FRAGB=$c"
    b "I=$i T=32 $c" $E ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t32-$c-$round.json
  done
done
done
grep -E "^(==|rc=)|FM1 FN1 FN2 SGW SMEM2 SUBGROUP TK128" $L | grep -v "^gemm_coop f16 .*SPLITK" | head -60
for f in $R/m/*.json; do echo "$(basename $f) gate_up $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*' | head -1) down $(grep -A12 '"gemm": "down"' $f | grep -o '"ms": *[0-9.]*' | head -1)"; done
