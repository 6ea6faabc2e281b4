#!/bin/bash
# Twenty-eighth session: how many of the 32-row tiles' workgroups run an SM at a time. The gate/up GEMM
# at 32 rows over I = 4096 … 16384 (130 … 514 workgroups of 256), with B from HBM (none) and with B's
# block always the range's first (nob, timing only: `coop_probe2.diff`): if one workgroup ran an SM at a
# time, nob's time would grow by a wave every 132 workgroups.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r345; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r345.tgz .; }
for i in 4096 5120 6144 8192 10240 12288 16384; do
  for pr in none nob noa,nob,one; do
    b "I=$i probe=$pr" env OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-$pr.json
  done
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
