#!/bin/bash
# Thirty-first session: where the few-row tiles with B's fragments from the storage buffer (OMNIMOE_COOP_FRAGB)
# take their weights from: a scratch GEMM (gpu_gemm zz_fragb_map) with one-hot rows of A and B holding its
# row index / its k, so that each output names the weight it multiplied; without the probe, with it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r371; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r371.tgz .; }
b "map none" ./gpu_gemm zz_fragb_map --nocapture
b "map frag" env OMNIMOE_COOP_FRAGB=1 ./gpu_gemm zz_fragb_map --nocapture
b "map frag t" env OMNIMOE_COOP_FRAGB=1 OMNIMOE_FRAGB_LAYOUT=t ./gpu_gemm zz_fragb_map --nocapture
grep -E "^(==|MAP|rc=)" $L
