#!/bin/bash
# Twenty-eighth session: run345 found one 32-row tile's workgroup an SM at a time (nob's time a wave every
# 132 workgroups; 71 registers, 34304 bytes of workgroup memory). Is it the workgroup memory? The same
# tiles with their epilogue's staging in turns (ST4: 30208 bytes), timing with B from HBM (none) and from
# the cache (nob), and gpu_gemm's checks are not needed: the same kernel as Quarter8Turns' epilogue.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r346; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r346.tgz .; }
for i in 4096 5120 8192 12288 16384; do
  for pr in st4 nob,st4 none; do
    b "I=$i probe=$pr" env OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-$pr.json
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
