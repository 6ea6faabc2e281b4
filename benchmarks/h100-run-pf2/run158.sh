#!/bin/bash
# Two steps of the tensor-core GEMM's global loads in flight (gemm_coop.wgsl PF2: a second register set
# of chunks, loaded two steps before its multiplies instead of one), switched by OMNIMOE_COOP_PF2 (a
# temporary measuring switch: "half" for the 64 × 128 tile of few rows, "all" for every WGSL tile).
# GPU tests with PF2 everywhere; token sweeps and the f16 layer, off / half / all interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-pf2 gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r158; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do OMNIMOE_COOP_PF2=all b "test $x pf2" ./$x --test-threads 4; done
for i in 1 2; do
  for m in off half all; do
    OMNIMOE_COOP_PF2=$m b "sweep $m $i" ./omnimoe-pf2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$m-$i.json
  done
done
for m in off all off all; do
  OMNIMOE_COOP_PF2=$m b "f16 $m" ./omnimoe-pf2 bench --dtype f16 --json $R/f16-$m-$(date +%s%N).json
done
tar -C $R -czf $OUT/r158.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f16-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    c=sorted(g['candidates_ms'], key=lambda c:c['ms'])[:3]
    print('   ', g['shape'], ' '.join('%s:%.4f'%(x['kernel'].replace('Coop(CoopConfig { ','')[:44],x['ms']) for x in c))
"; done
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(18), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
"; done
