#!/bin/bash
# Thirtieth session, timing only: does the few-row tiles' in-SM work alone take the wide GEMM's time? Every
# step's B chunks those of the range's first step (PNOB, OMNIMOE_COOP_NOB: B from the cache, wrong sums),
# with one and three steps in flight (coop_ahead3.diff, OMNIMOE_COOP_AHEAD=3), beside the real kernel;
# gemm_stream at 32 tokens, I = 4096 / 8192 / 16384.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r363; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r363.tgz .; }
for i in 4096 8192 16384; do
  for c in a1 a3 a1nob a3nob; do
    E="env OMNIMOE_COOP_AHEAD=${c:1:1}"
    [ ${#c} = 5 ] && E="$E OMNIMOE_COOP_NOB=1"
    b "I=$i T=32 $c" $E ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t32-$c.json
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*') $(grep -A12 '"gemm": "down"' $f | grep -o '"ms": *[0-9.]*')"; done
