#!/bin/bash
# The tiles (64 x 64 at K step 128 up to 64 rows) instead of the skinny kernel from fewer rows: a temporary
# switch OMNIMOE_SKINNY_MAX=G,D (the most rows on the skinny kernel for the gate/up GEMM and the down
# projection; default 32,64). GPU test gpu_layer with 16,16; token sweeps default / 16,64 / 16,32 / 16,16
# interleaved, twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-max gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r175; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
OMNIMOE_SKINNY_MAX=16,16 b "test gpu_layer 16,16" ./gpu_layer --test-threads 4
for i in 1 2; do
  for v in 32,64 16,64 16,32 16,16; do
    OMNIMOE_SKINNY_MAX=$v b "sweep $v $i" ./omnimoe-max bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-${v/,/-}-$i.json
  done
done
tar -C $R -czf $OUT/r175.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(20), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'][:8]))
print(' '*20, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream') and 16<=p['tokens']<=128))
print(' '*20, ' | '.join('%d:%s/%s x%d'%(p['tokens'],p['gemm_stream'][0]['kernel'][12:36],p['gemm_stream'][1]['kernel'][12:36],p['gemm_stream'][1]['splits']) for p in d['sweep'] if p.get('gemm_stream') and 32<=p['tokens']<=64))
"; done
