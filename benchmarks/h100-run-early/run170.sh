#!/bin/bash
# run169's expert stage again with named values instead of arrays (an array indexed in a loop went to
# local memory: T=4096's expert stage 52 -> 255 us): "wide" (the partial products read before the dot
# products, eight loads in flight in lane_dot, base_at and the combine) and "early" (only the partial
# products read before the dot products); GPU tests of "wide", then token sweeps base / early / wide
# interleaved, twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-early omnimoe-wide gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r170; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  for v in base early wide; do
    b "sweep $v $i" ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json
  done
done
tar -C $R -czf $OUT/r170.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(20), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' '*20, ' '.join('%d:%.1f'%(p['tokens'],p['stages']['expert_token']*1e3) for p in d['sweep'] if 'expert_token' in p['stages']))
"; done
