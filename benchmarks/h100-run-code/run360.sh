#!/bin/bash
# Thirtieth session: the 32-row tiles with fewer fragment loads a multiply or fewer barriers a step.
# eighth4: 32 × 64 over 4 subgroups of 16 × 32 (SG4, FM1, FN2: three fragments for two multiplies);
# eighth8:64:db: the default 32 × 64 over 8 at K step 64, double buffered (one barrier a step). Forced on
# both GEMMs up to 32 rows (OMNIMOE_FEW_TILE_GATE / _DOWN). gpu_gemm (both among the candidates), gpu_layer
# with eighth4; the GEMMs alone and per layer of 4 at 32 tokens, and at I = 8192 / 16384; two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r360; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r360.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
b "test gpu_layer eighth4" env OMNIMOE_FEW_TILE_GATE=eighth4:128 OMNIMOE_FEW_TILE_DOWN=eighth4:128 ./gpu_layer --test-threads 4
for r in 1 2; do
  for c in default eighth4:128 eighth8:64:db; do
    n=${c//:/-}
    E="env OMNIMOE_FEW_TILE_GATE=$c OMNIMOE_FEW_TILE_DOWN=$c"
    [ $c = default ] && E=env
    b "T=32 L1 $c $r" $E ./omnimoe-f bench --dtype f16 --tokens 32 --layers 1 --runs 20 --no-autotune --json $R/m/t32-$n-$r.json
    b "T=32 L4 $c $r" $E ./omnimoe-f bench --dtype f16 --tokens 32 --layers 4 --runs 20 --no-autotune --json $R/m/L4-t32-$n-$r.json
    for i in 8192 16384; do
      b "I=$i T=32 $c $r" $E ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t32-$n-$r.json
    done
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1) $(grep -o '"tile": *"[A-Za-z0-9]*"' $f | head -2 | tr '\n' ' ')"; done
