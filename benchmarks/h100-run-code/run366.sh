#!/bin/bash
# Thirtieth session: the kernel that only reads, one workgroup an SM (132), of 256, 512 or 1024 invocations
# (OMNIMOE_READ_WG; four words a lane in flight: 16, 32, 64 KB an SM): does a read from one workgroup an
# SM go faster with more subgroups, as it does with more workgroups? At 17 and 67 MB (32 tokens, I = 4096
# / 16384).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r366; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r366.tgz .; }
for wg in 256 512 1024; do
  b "I=16384 wg=$wg" env OMNIMOE_READ_WG=$wg OMNIMOE_READ_PER_WG=31900 ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 1 --runs 20 --no-autotune --json $R/m/i16384-wg$wg.json
  b "I=4096 wg=$wg" env OMNIMOE_READ_WG=$wg OMNIMOE_READ_PER_WG=8068 ./omnimoe-f bench --dtype f16 --tokens 32 --layers 1 --runs 20 --no-autotune --json $R/m/i4096-wg$wg.json
done
grep -E "^(rc=[1-9]|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -A12 '"gemm": "gate_up"' $f | grep -o '"ms": *[0-9.]*' | head -2 | tr '\n' ' ')"; done
