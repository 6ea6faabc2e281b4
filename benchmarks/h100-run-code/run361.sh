#!/bin/bash
# Thirtieth session, the final build (gemm.wgsl's staging moved to gemm/staging.wgsl; the measuring aids
# read once): all four GPU test binaries; the outputs' digests at 1, 8, 32, 128 and 4096 tokens against
# the twenty-ninth session's build (omnimoe-b); a measuring aid still taking effect (OMNIMOE_SKINNY=off at
# 8 tokens: the skinny kernel's GEMMs on the tiles instead).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r361; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r361.tgz .; }
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
for x in f b; do
  for t in 1 8 32 128 4096; do
    b "T=$t $x" ./omnimoe-$x bench --dtype f16 --tokens $t --layers 1 --runs 10 --no-autotune --json $R/m/t$t-$x.json
  done
  b "T=8 skinny off $x" env OMNIMOE_SKINNY=off ./omnimoe-$x bench --dtype f16 --tokens 8 --layers 1 --runs 10 --no-autotune --json $R/m/t8-off-$x.json
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1) $(grep -o '"kernel": *"[A-Za-z]*' $f | head -2 | tr '\n' ' ')"; done
