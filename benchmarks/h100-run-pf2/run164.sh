#!/bin/bash
# The build with the skinny kernel's coalesced loads as its only STAGED path: GPU tests; token sweeps as
# the layer runs by default, with the skinny kernel from one token (OMNIMOE_SKINNY=all: below the GEMV's
# bound too), interleaved, and once aiming at 256 workgroups (OMNIMOE_SKINNY_WGS=256: at 64 tokens the
# down projection then takes 32 ranges, shallow enough for the STAGED build); the f16 bench (stack of 4)
# and the f32 bench.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-coal gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r164; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  b "sweep default $i" ./omnimoe-coal bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-default-$i.json --plot $R/tokens-default-$i.svg
  OMNIMOE_SKINNY=all b "sweep all $i" ./omnimoe-coal bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-all-$i.json
done
OMNIMOE_SKINNY_WGS=256 b "sweep wgs256" ./omnimoe-coal bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-wgs256-1.json
b "f16" ./omnimoe-coal bench --dtype f16 --layers 4 --json $R/f16.json
b "f32" ./omnimoe-coal bench --dtype f32 --json $R/f32.json
tar -C $R -czf $OUT/r164.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f16.json $R/f32.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('stack') and round(d['stack']['gpu_ms_per_layer'],4))
"; done
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(22), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' '*22, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
"; done
