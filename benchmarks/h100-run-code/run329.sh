#!/bin/bash
# Twenty-sixth session: the skinny kernel for N a multiple of 32 (a last workgroup's subgroups past N store
# nothing), so that a down projection with H % 128 != 0 (H = 1056) runs on it and the fused chain instead of
# the GEMV: the four GPU test binaries; per layer of a stack of 4 at 2, 8, 16 tokens at H = 1056 and at the
# README's sizes, beside the build before (omnimoe-b), two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_gemm gpu_layer gpu_stages gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r329; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r329.tgz .; }
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
for r in 1 2; do for v in f b; do
  for s in "h1056:--hidden 1056" "readme:"; do
    n=${s%%:*}; a=${s#*:}
    for t in 2 8 16; do
      b "$n T=$t $v" ./omnimoe-$v bench --dtype f16 $a --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/$n-t$t-$v-$r.json
    done
  done
done; done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of|FNV" $L | cut -c1-200
