#!/bin/bash
# The files run90 could not bring back (too many): the same commands again, in one archive.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new omnimoe-base; do xz -d -k -f $f.xz; chmod +x $f; done
R=/tmp/r91; mkdir -p $R; L=$R/log.txt
echo "== sweep base" >> $L; timeout 100 ./omnimoe-base bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-base.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== sweep new" >> $L; timeout 100 ./omnimoe-new bench --dtype f16 --sweep tokens --runs 10 --json $R/h100-tokens-f16.json --plot $R/h100-tokens-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== caee two GPUs" >> $L; timeout 100 ./omnimoe-new bench --adapters 2 --dtype f16 --runs 20 --json $R/h100x2-caee-f16.json --plot $R/h100x2-caee-f16.svg >> $L 2>&1; echo "rc=$?" >> $L
echo "== caee resident 1024" >> $L; timeout 100 ./omnimoe-new bench --adapters 2 --dtype f16 --runs 10 --resident-experts 1024 --prune-theta 1.0,0.8 --json $R/h100x2-caee-resident-f16.json >> $L 2>&1; echo "rc=$?" >> $L
tar -C $R -czf $OUT/r91.tgz .
grep -E "^(==|rc=|layer|θ)" $L | cut -c1-200
