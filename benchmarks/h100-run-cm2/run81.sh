#!/bin/bash
# cooperative-matrix-2 GEMM in the library: tests on the H100, bench with and without it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan OMNIMOE_GOLDEN_DIR=$PWD/.dev/golden RUST_LOG=omnimoe=warn
cd .dev; for f in omnimoe-new gpu_stages gpu_layer; do xz -d -k -f $f.xz; chmod +x $f; done
L=$OUT/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
./omnimoe-new info >> $L 2>&1
for t in gpu_stages gpu_layer; do
  echo "== $t" >> $L; timeout 200 ./$t --test-threads 2 >> $L 2>&1; echo "rc=$?" >> $L
done
echo "== bench f16 cm2" >> $L
timeout 150 ./omnimoe-new bench --dtype f16 --runs 10 --json $OUT/f16.json >> $L 2>&1; echo "rc=$?" >> $L
echo "== bench f16 no cm2" >> $L
OMNIMOE_NO_CM2=1 timeout 150 ./omnimoe-new bench --dtype f16 --runs 10 --json $OUT/f16-nocm2.json >> $L 2>&1; echo "rc=$?" >> $L
grep -E "^(==|test result|rc=|layer|dense_|gemm|  Coop|  ->|  SHADER|.*panicked|.*FAILED|.*rror|NVIDIA)" $L | cut -c1-200
