#!/bin/bash
# expert_token's dot products eight loads at a time (DOT8, this build's default) against four
# (OMNIMOE_EXPERT_DOT4) at T = 16, 64, 256, 4096; T = 256 with split-K aimed at 192 and 256 workgroups
# (OMNIMOE_SPLIT_K_WGS; 128 by default). Two rounds, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r138; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do for t in 16 64 256 4096; do
b "t$t dot8 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-dot8-$i.json
OMNIMOE_EXPERT_DOT4=1 b "t$t dot4 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-dot4-$i.json
done
for w in 192 256; do OMNIMOE_SPLIT_K_WGS=$w b "t256 wgs$w $i" ./omnimoe-final bench --dtype f16 --tokens 256 --runs 20 --json $R/t256-wgs$w-$i.json; done
done
tar -C $R -czf $OUT/r138.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160 | sort | uniq -c
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
