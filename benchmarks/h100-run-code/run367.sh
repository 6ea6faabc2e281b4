#!/bin/bash
# Thirty-first session, timing only: B's fragments straight from the storage buffer as if the weights lay
# a 16 × 16 fragment at a time (contiguous 512 bytes; wrong sums): the skinny kernel's unstaged build
# (OMNIMOE_SKINNY_STAGED=off) with OMNIMOE_SKINNY_FRAGB=1 (f16 elements) / 4 (vec4<f16>), and the few-row
# tiles with OMNIMOE_COOP_FRAGB (B not staged at all), beside the defaults; gemm_stream.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r367; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r367.tgz .; }
for i in 4096 16384; do
  for c in staged off frag1 frag4; do
    E="env"
    [ $c != staged ] && E="$E OMNIMOE_SKINNY_STAGED=off"
    [ $c = frag1 ] && E="$E OMNIMOE_SKINNY_FRAGB=1"
    [ $c = frag4 ] && E="$E OMNIMOE_SKINNY_FRAGB=4"
    b "I=$i T=16 $c" $E ./omnimoe-f bench --dtype f16 --tokens 16 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t16-$c.json
  done
  for t in 32 64; do
    for c in def frag; do
      E="env"; [ $c = frag ] && E="$E OMNIMOE_COOP_FRAGB=1"
      b "I=$i T=$t $c" $E ./omnimoe-f bench --dtype f16 --tokens $t --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t$t-$c.json
    done
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*') $(grep -A12 '"gemm": "down"' $f | grep -o '"ms": *[0-9.]*')"; done
