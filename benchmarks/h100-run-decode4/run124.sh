#!/bin/bash
# The skinny kernel staging A's rows 512 deep at most for up to 16 rows (kz512: 16.6 KiB of workgroup
# memory instead of 33; the same ranges and dispatches at the README's sizes) beside the session's final
# build (final): GPU tests of kz512; interleaved token sweeps.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-kz512 gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r124; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do for v in final kz512; do b "sweep $v $i" ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json; done; done
tar -C $R -czf $OUT/r124.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep']
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in s[:9]))
"; done
