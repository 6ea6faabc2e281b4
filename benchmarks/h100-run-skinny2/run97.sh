#!/bin/bash
# Final sweep with the skinny kernel at 128 workgroups (new) beside the build before that change (cur), and
# the layer at the README config.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-cur omnimoe-new; do xz -d -k -f $f.xz; chmod +x $f; done
R=/tmp/r97; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; timeout 100 "$@" >> $L 2>&1; echo "rc=$?" >> $L; }
b "sweep new" ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $R/h100-tokens-f16.json --plot $R/h100-tokens-f16.svg
b "sweep cur" ./omnimoe-cur bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-cur.json
b "f16 new" ./omnimoe-new bench --dtype f16 --layers 4 --json $R/h100-f16.json
tar -C $R -czf $OUT/r97.tgz .
grep -E "^(==|rc=|NVIDIA|layer|stack)" $L | cut -c1-180
