#!/bin/bash
# The expert stage's loads issued early and wider (the down projection's partial products beside the
# first ids, 8 chunks of u·x in flight a lane, 16 experts' rows of V), and the skinny kernel with A's
# fragments from global memory (temporary switch OMNIMOE_SKINNY_AGLOBAL=R, R ranges at most): GPU tests
# (gpu_gemm and gpu_layer also with the switch), then token sweeps of the base build (b7627fb), the new
# build, and the new build with the switch at 16 and 8 ranges, interleaved, twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-new gpu_stages gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r169; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for x in gpu_gemm gpu_layer; do OMNIMOE_SKINNY_AGLOBAL=16 b "test $x aglobal" ./$x --test-threads 4; done
for i in 1 2; do
  b "sweep base $i" ./omnimoe-base bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-base-$i.json
  b "sweep new $i" ./omnimoe-new bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-new-$i.json
  OMNIMOE_SKINNY_AGLOBAL=16 b "sweep ag16 $i" ./omnimoe-new bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-ag16-$i.json
  OMNIMOE_SKINNY_AGLOBAL=8 b "sweep ag8 $i" ./omnimoe-new bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-ag8-$i.json
done
tar -C $R -czf $OUT/r169.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(20), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' '*20, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
print(' '*20, ' '.join('%d:%.1f'%(p['tokens'],p['stages']['expert_token']*1e3) for p in d['sweep'] if 'expert_token' in p['stages']))
"; done
