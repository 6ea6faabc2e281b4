#!/bin/bash
# The expert stage's wider loads without reading the partial products early (run170: early alone made it
# slower everywhere): "wide" (eight loads in flight in lane_dot, base_at and the combine), "widedot"
# (lane_dot only), "widesum" (base_at and the combine only); GPU tests of "wide", token sweeps of the four
# builds interleaved, twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-wide omnimoe-widedot omnimoe-widesum gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r171; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  for v in base wide widedot widesum; do
    b "sweep $v $i" ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json
  done
done
tar -C $R -czf $OUT/r171.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(20), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' '*20, ' '.join('%d:%.1f'%(p['tokens'],p['stages']['expert_token']*1e3) for p in d['sweep'] if 'expert_token' in p['stages']))
"; done
