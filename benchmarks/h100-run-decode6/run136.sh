#!/bin/bash
# Eighth session, first run: expert_token's early loads (EARLY) and the skinny kernel's A staged eight chunks
# at a time (its first B step requested before): GPU tests; token sweeps of the previous build (base), of
# this one with EARLY off (OMNIMOE_EXPERT_EARLY_MAX_T=0) and of this one, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-base gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r136; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer; do b "test $x" ./$x --test-threads 4; done
b "sweep base 1" ./omnimoe-base bench --dtype f16 --sweep tokens --runs 20 --json $R/base-1.json
b "sweep new 1" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/new-1.json
OMNIMOE_EXPERT_EARLY_MAX_T=0 b "sweep noearly 1" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/noearly-1.json
b "sweep base 2" ./omnimoe-base bench --dtype f16 --sweep tokens --runs 20 --json $R/base-2.json
b "sweep new 2" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/new-2.json
tar -C $R -czf $OUT/r136.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/*-?.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   exp', ' '.join('%d:%.1f'%(p['tokens'],p['stages'].get('expert_token',0)*1000) for p in d['sweep']))
print('   gu ', ' '.join('%d:%.1f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)*1000) for p in d['sweep']))
print('   dn ', ' '.join('%d:%.1f'%(p['tokens'],p['stages'].get('dense_down',0)*1000) for p in d['sweep']))
"; done
