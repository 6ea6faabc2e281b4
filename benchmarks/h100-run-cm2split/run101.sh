#!/bin/bash
# Probe: which cooperative-matrix-2 split builds compute what (fast path, clamped rows/columns/K, ranges).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r101; mkdir -p $R; L=$R/log.txt
export OMNIMOE_GOLDEN_DIR=$PWD/golden
timeout 200 ./gpu_stages --test-threads 1 --nocapture zz_nv_probe > $L 2>&1
tar -C $R -czf $OUT/r101.tgz .
grep PROBE $L | cut -c1-160
