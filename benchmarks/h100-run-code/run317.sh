#!/bin/bash
# Twenty-sixth session: where the skinny kernel's loads lose to a kernel that only reads (timing only).
# (1) the probes of run309 with bare_noa mended (A's binding kept by one read): A's staging, the partial
# products' stores, both; (2) the kernel that only reads over fewer, longer workgroups (OMNIMOE_READ_PER_WG:
# 16-byte words a workgroup; 8192 words at 64 MB are 512 workgroups of 256, the skinny kernel's count).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r317; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r317.tgz .; }
for r in 1 2; do for i in 16384 4096; do for pr in base bare bare_noa bare_nop bare_noa_nop; do
  b "I=$i $pr" env OMNIMOE_SKINNY_PROBE=$pr ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$pr-$r.json
done; done; done
for w in 1024 2048 4096 8192 16384 32768; do for i in 16384 4096; do
  b "I=$i read per_wg $w" env OMNIMOE_READ_PER_WG=$w ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 5 --no-autotune --json $R/m/i$i-read$w.json
done; done
grep -E "^(== |rc=[1-9]|panicked|error)|alone, weights|only read" $L | cut -c1-200
