#!/bin/bash
# T=64: the gate/up GEMM (65 tiles of 64 x 128) split over K in 2 or 3 ranges, with the reduction
# (temporary OMNIMOE_SPLIT_K_FEW_TILES), against the default (unsplit). Two rounds, interleaved; T=48 once.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r147; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do for t in 64 48; do
  [ $t = 48 ] && [ $i = 2 ] && continue
  b "t$t default $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-default-$i.json
  OMNIMOE_SPLIT_K_FEW_TILES=2 b "t$t split2 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-split2-$i.json
  OMNIMOE_SPLIT_K_FEW_TILES=3 b "t$t split3 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-split3-$i.json
done; done
tar -C $R -czf $OUT/r147.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
