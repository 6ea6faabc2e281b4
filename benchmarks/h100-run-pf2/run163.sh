#!/bin/bash
# The skinny kernel's STAGED builds with coalesced loads of B (gemm_skinny.wgsl COALESCED, the temporary
# switch OMNIMOE_SKINNY_COALESCED): 4 or 8 lanes share a column, so a load reads whole 64- or 128-byte
# steps of 8 or 4 columns instead of 16 bytes of 32 columns. GPU tests with it; token sweeps: run160's
# build (base) and the new build with COALESCED, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-coal gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r163; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do OMNIMOE_SKINNY_COALESCED=1 b "test $x coalesced" ./$x --test-threads 4; done
for i in 1 2; do
  b "sweep base $i" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-base-$i.json
  OMNIMOE_SKINNY_COALESCED=1 b "sweep coal $i" ./omnimoe-coal bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-coal-$i.json
done
tar -C $R -czf $OUT/r163.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(22), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'][:9]))
print(' '*22, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
"; done
