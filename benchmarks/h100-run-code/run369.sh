#!/bin/bash
# Thirty-first session: why the few-row tiles with B's fragments from the storage buffer (OMNIMOE_COOP_FRAGB,
# weights laid out a fragment at a time) gave NaNs in run367/368: a scratch GEMM test against the CPU
# (gpu_gemm zz_fragb_scratch: the test's B laid out likewise) with f16 (=1) and vec4<f16> (=4) elements and
# without; then the layer's bench with each.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r369; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r369.tgz .; }
for c in none 1 4; do
  E="env"; [ $c != none ] && E="$E OMNIMOE_COOP_FRAGB=$c"
  b "scratch $c" $E ./gpu_gemm zz_fragb_scratch --nocapture
done
for c in 1 4; do
  b "bench I=4096 T=32 frag$c" env OMNIMOE_COOP_FRAGB=$c ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 4096 --layers 1 --runs 20 --no-autotune --json $R/m/i4096-t32-frag$c.json
done
grep -E "^(==|FRAGB|output bits|error|rc=)" $L
