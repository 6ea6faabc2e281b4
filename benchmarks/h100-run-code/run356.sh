#!/bin/bash
# Twenty-ninth session, the final build (de78095: gemm_coop's k16 loop in shaders/gemm_coop/step.wgsl, the
# same preprocessed code but for comments): gpu_gemm and gpu_layer, and the output's digest beside the
# twenty-eighth session's build (omnimoe-b) at 32, 128 and 4096 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r356; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r356.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
b "test gpu_layer" ./gpu_layer --test-threads 4
for x in b f; do
  for t in 32 128; do
    b "T=$t $x" ./omnimoe-$x bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-$x.json
  done
  b "T=4096 $x" ./omnimoe-$x bench --dtype f16 --tokens 4096 --layers 1 --runs 10 --no-autotune --json $R/m/t4096-$x.json
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1) $(grep -o '"layer_ms": *[0-9.]*' $f | head -1)"; done
