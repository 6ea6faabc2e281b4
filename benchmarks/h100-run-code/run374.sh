#!/bin/bash
# Thirty-first session: the 32-row tiles with B's fragments from the storage buffer, (a) each step's eight
# requested a step ahead (FRAGA, weights a fragment at a time), (r) at stride K from the rows as they lie
# (FRAGR, no relayout); the scratch test against the CPU with each, then gemm_stream / the layer at 32
# tokens beside the default and run373's FRAGB (=1).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r374; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r374.tgz .; }
b "scratch a" env OMNIMOE_COOP_FRAGB=a ./gpu_gemm zz_fragb_scratch --nocapture
b "scratch r" env OMNIMOE_COOP_FRAGB=r ./gpu_gemm zz_fragb_scratch --nocapture
for round in 1 2; do
for i in 4096 16384; do
  for c in def 1 a r; do
    E="env"; [ $c != def ] && E="$E OMNIMOE_COOP_FRAGB=$c"
    b "I=$i T=32 $c" $E ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t32-$c-$round.json
  done
done
done
grep -E "^(==|FRAGB|output bits|error|rc=)" $L
for f in $R/m/*.json; do echo "$(basename $f) gate_up $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*' | head -1) down $(grep -A12 '"gemm": "down"' $f | grep -o '"ms": *[0-9.]*' | head -1) $(grep -o '"layer_ms": *[0-9.]*' $f | head -1)"; done
