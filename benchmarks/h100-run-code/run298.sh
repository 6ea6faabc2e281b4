#!/bin/bash
# Twenty-third session, the final build (86b4a9a's code): where a layer's time goes in a stack now, each
# stage a timed pass of its own (OMNIMOE_STACK_STAGES=1), at 1, 16 and 64 tokens, a stack of 8.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; xz -d -k -f omnimoe-f.xz; chmod +x omnimoe-f
R=/tmp/r298; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r298.tgz .; }
for tk in 1 16 64; do
  b "stages T=$tk" env OMNIMOE_STACK_STAGES=1 ./omnimoe-f bench --dtype f16 --layers 8 --tokens $tk --no-autotune --json $R/st-t$tk.json
done
grep -E "^(== |rc=[1-9]|panicked|stack stage|stack of)" $L | cut -c1-160
