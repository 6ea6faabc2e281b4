#!/bin/bash
# Twenty-eighth session: gemm_skinny's first column computed once (col0, a review's left-noted item): the
# tests that run the skinny kernel (gpu_gemm, gpu_stages) with it, and the same bits beside the build
# before it at 8 and 16 tokens (README sizes and I = 16384).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_gemm gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r351; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r351.tgz .; }
for x in b f; do
  b "T=16 $x" ./omnimoe-$x bench --dtype f16 --tokens 16 --layers 1 --runs 10 --no-autotune --json $R/m/t16-$x.json
  b "I=16384 T=8 $x" ./omnimoe-$x bench --dtype f16 --tokens 8 --intermediate 16384 --layers 1 --runs 10 --no-autotune --json $R/m/i16384-t8-$x.json
done
b "test gpu_stages" ./gpu_stages --test-threads 4
b "test gpu_gemm" ./gpu_gemm --test-threads 4
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
grep -h output_digest $R/m/*.json | head -0
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f)"; done
