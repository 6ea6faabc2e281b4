#!/bin/bash
# Forty-second session: gpu_stages on 1fd4a55 (omnimoe-q: the other three test binaries passed in
# run455), and the f16 token sweep of the README's sizes (their skinny builds now stream their blocks
# in a loop: 9-16 tokens).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-q gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r456; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r456.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b sweep ./omnimoe-q bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked|rc=[1-9]" $L
python3 -c "
import json; d=json.load(open('$R/tokens-f16.json'))
print(json.dumps(d)[:600])"
