#!/bin/bash
# The GEMV's lanes aimed at 16 chunks a lane (OMNIMOE_GEMV_PER_LANE=16: 32 lanes for the down projection's
# 512 chunks, the gate/up GEMM's 128 keep 16) against 8 (64 and 16) at T = 1, 2, 3, two rounds interleaved;
# two token sweeps of this build (ef006fd: the same kernels as run139) with the floor under the wall times
# (an empty submit).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r140; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do for t in 1 2 3; do
b "t$t c8 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-c8-$i.json
OMNIMOE_GEMV_PER_LANE=16 b "t$t c16 $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-c16-$i.json
done; done
b "sweep 1" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-1.json
b "sweep 2" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-2.json
tar -C $R -czf $OUT/r140.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-160 | sort | uniq -c
for f in $R/t?-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
"; done
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   wall/spin/empty/emptyspin', ' '.join('%d:%.3f/%.3f/%.3f/%.3f'%(p['tokens'],p['layer_wall_ms'],p['layer_wall_spin_ms'],p['empty_submit_ms'],p['empty_submit_spin_ms']) for p in d['sweep']))
"; done
