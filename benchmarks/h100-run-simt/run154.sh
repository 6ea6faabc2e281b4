#!/bin/bash
# Halves by bitcast (src/gpu/spirv_halves.rs): gemm_coop's and gemm_skinny's SPIR-V written by the
# library with each f16 pair's round trip through f32 (unpack2x16float, then FConvert) replaced by an
# OpBitcast of its word, built through SPIR-V passthrough. GPU tests; f16 bench at the README config and
# token sweeps, this build against itself with OMNIMOE_NO_BITCAST_HALVES=1 (wgpu's own path), interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r154; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  OMNIMOE_NO_BITCAST_HALVES=1 b "f16 off $i" ./omnimoe-final bench --dtype f16 --json $R/f16-off-$i.json
  b "f16 on $i" ./omnimoe-final bench --dtype f16 --layers 4 --json $R/f16-on-$i.json
done
OMNIMOE_NO_BITCAST_HALVES=1 b "sweep off" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-off.json
b "sweep on" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-on.json
tar -C $R -czf $OUT/r154.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f16*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('stack') and round(d['stack']['gpu_ms_per_layer'],4))
for g in d.get('gemm_tuning',[]):
    c=sorted(g['candidates_ms'], key=lambda c:c['ms'])[:3]
    print('   ', g['shape'], ' '.join('%s:%.4f'%(x['kernel'].replace('Coop(CoopConfig { ','')[:44],x['ms']) for x in c))
"; done
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
"; done
