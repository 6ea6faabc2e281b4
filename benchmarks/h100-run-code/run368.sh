#!/bin/bash
# Thirty-first session: the few-row tiles with B's fragments straight from the storage buffer
# (OMNIMOE_COOP_FRAGB), now with the dense weights laid out a 16 x 16 fragment at a time where it is set
# (src/gpu/layer/dense.rs), so that the layer's sums are right (run367 stopped on NaNs); beside the default.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r368; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r368.tgz .; }
for i in 4096 16384; do
  for t in 32 64; do
    for c in def frag; do
      E="env"; [ $c = frag ] && E="$E OMNIMOE_COOP_FRAGB=1"
      b "I=$i T=$t $c" $E ./omnimoe-f bench --dtype f16 --tokens $t --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t$t-$c.json
    done
  done
done
grep -E "^(==|output bits)" $L
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*') $(grep -A12 '"gemm": "down"' $f | grep -o '"ms": *[0-9.]*')"; done
