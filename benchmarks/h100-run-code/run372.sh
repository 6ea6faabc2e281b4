#!/bin/bash
# Thirty-first session: run371 found the fragments from the storage buffer read 2 halves on (k + 2) at
# stride 16; here the map over k = 0..31 at stride 16 (=1) and with fragments in pairs along k, 16 rows of
# 32 halves (=p, OMNIMOE_FRAGB_LAYOUT=p); the scratch test against the CPU with p; then gemm_stream / the
# layer at 32 and 64 tokens with p beside the default.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r372; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r372.tgz .; }
b "map frag 1" env OMNIMOE_COOP_FRAGB=1 ./gpu_gemm zz_fragb_map --nocapture
b "map frag p" env OMNIMOE_COOP_FRAGB=p OMNIMOE_FRAGB_LAYOUT=p ./gpu_gemm zz_fragb_map --nocapture
b "scratch p" env OMNIMOE_COOP_FRAGB=p OMNIMOE_FRAGB_LAYOUT=p ./gpu_gemm zz_fragb_scratch --nocapture
for i in 4096 16384; do
  for t in 32 64; do
    for c in def frag; do
      E="env"; [ $c = frag ] && E="$E OMNIMOE_COOP_FRAGB=p OMNIMOE_FRAGB_LAYOUT=p"
      b "I=$i T=$t $c" $E ./omnimoe-f bench --dtype f16 --tokens $t --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t$t-$c.json
    done
  done
done
grep -E "^(==|FRAGB|MAP|output bits|error|rc=)" $L
for f in $R/m/*.json; do echo "$(basename $f) gate_up $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*' | head -1) down $(grep -A12 '"gemm": "down"' $f | grep -o '"ms": *[0-9.]*' | head -1) $(grep -o '"layer_ms": *[0-9.]*' $f | head -1)"; done
