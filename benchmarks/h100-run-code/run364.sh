#!/bin/bash
# Thirtieth session, timing only: what a step's stores to workgroup memory cost the 32-row tiles. A's
# chunks stored twice, the second time into a spare block nothing reads (PST2, OMNIMOE_COOP_ST2: two more
# chunks an invocation a step, 8 KB an SM), with B from HBM and from the cache (OMNIMOE_COOP_NOB);
# gemm_stream at 32 tokens, I = 4096 / 16384. Four 4-byte stores a chunk on 8 banks would cost the second
# copy ~4.5 µs at I = 16384, one 16-byte store ~1.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r364; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r364.tgz .; }
for i in 4096 16384; do
  for c in base st2 nob nobst2; do
    E=env
    case $c in st2) E="env OMNIMOE_COOP_ST2=1";; nob) E="env OMNIMOE_COOP_NOB=1";; nobst2) E="env OMNIMOE_COOP_NOB=1 OMNIMOE_COOP_ST2=1";; esac
    b "I=$i T=32 $c" $E ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t32-$c.json
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*' | head -1)"; done
