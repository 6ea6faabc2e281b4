#!/bin/bash
# The decode chain at one token with decode_route in 1024 invocations: GPU tests, then the f16 bench at
# T=1 with a stack of 4, the chain on and off (OMNIMOE_DECODE_CHAIN=off) interleaved twice, and on with
# 256 invocations.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-dc gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r186; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer; do b "test $x" ./$x --test-threads 4; done
B="./omnimoe-dc bench --tokens 1 --layers 4 --runs 50"
for i in 1 2; do
  b "on $i" $B --dtype f16 --json $R/on-$i.json
  b "off $i" env OMNIMOE_DECODE_CHAIN=off $B --dtype f16 --json $R/off-$i.json
done
b "wg256" env OMNIMOE_DECODE_WG=256 $B --dtype f16 --json $R/on-wg256.json
tar -C $R -czf $OUT/r186.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/on-*.json $R/off-*.json ; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(12), 'gpu %.4f staged %.4f stack/layer %.4f wall spin %.4f'%(d['layer_ms'],d['layer_staged_ms'],d['stack']['gpu_ms_per_layer'],d['layer_wall_spin_ms']), {k:round(v*1e3,1) for k,v in d['stages'].items()})
"; done
