#!/bin/bash
# Thirtieth session: the kernel that only reads (four words a lane in flight) over the gate/up weights at 32
# tokens by workgroups of 256 a given number of words each (OMNIMOE_READ_PER_WG): at I = 16384 (67 MB) 132,
# 264, 528 and 1056 workgroups, at I = 4096 (17 MB) 132, 264, 528 — how fast the HBM delivers a weight to
# one workgroup an SM with 16 KB in flight, as the 32-row tiles hold, over one wave or four.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r365; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r365.tgz .; }
for w in 31900 15950 7975 3988; do
  b "I=16384 per_wg=$w" env OMNIMOE_READ_PER_WG=$w ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 20 --no-autotune --json $R/m/i16384-w$w.json
done
for w in 8068 4034 2017; do
  b "I=4096 per_wg=$w" env OMNIMOE_READ_PER_WG=$w ./omnimoe-f bench --dtype f16 --tokens 32 --layers 1 --runs 20 --no-autotune --json $R/m/i4096-w$w.json
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) gemm $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*' | head -2 | tr '\n' ' ')"; done
