#!/bin/bash
# Twenty-eighth session: gemm_coop's staging stores in turns from the lane's eighth (put8's `s`: a
# subgroup's 32 stores on 32 banks instead of 8), beside the build before it (omnimoe-b). gpu_gemm and
# gpu_layer with the new build; per layer of a stack of 4, --no-autotune, two rounds; I = 4096 and 16384.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r343; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r343.tgz .; }
b "test gpu_gemm" ./gpu_gemm --test-threads 4
b "test gpu_layer" ./gpu_layer --test-threads 4
for r in 1 2; do
  for x in b f; do
    for t in 32 64 128 256; do
      b "T=$t $x" ./omnimoe-$x bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t-$x-$r.json
    done
    for t in 32 64; do
      b "I=16384 T=$t $x" ./omnimoe-$x bench --dtype f16 --tokens $t --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t$t-$x-$r.json
    done
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
