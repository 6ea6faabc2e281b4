#!/bin/bash
# PF2 again, the register set a step stores and refills chosen by one uniform branch around whole
# load/store calls (run158 chose it per register, inside the calls: as slow as waiting for every load
# where it is issued). Register counts of the gemm_coop variants with and without PF2; GPU tests with PF2
# everywhere; token sweeps off / half and the f16 layer off / all, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-pf2 gpu_stages gpu_layer gpu_prepared pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r159; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
OMNIMOE_COOP_PF2=all timeout 200 ./pipeline_stats gemm_coop > $R/stats-pf2.txt 2>&1
timeout 200 ./pipeline_stats gemm_coop > $R/stats-off.txt 2>&1
OMNIMOE_COOP_PF2=all b "test gpu_stages pf2" ./gpu_stages --test-threads 4
for x in gpu_layer gpu_prepared; do OMNIMOE_COOP_PF2=all b "test $x pf2" ./$x --test-threads 4; done
for i in 1 2; do
  for m in off half; do
    OMNIMOE_COOP_PF2=$m b "sweep $m $i" ./omnimoe-pf2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$m-$i.json
  done
done
for m in off all off all; do
  OMNIMOE_COOP_PF2=$m b "f16 $m" ./omnimoe-pf2 bench --dtype f16 --json $R/f16-$m-$(date +%s%N).json
done
tar -C $R -czf $OUT/r159.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
grep -E "SG4|SG16 SMEM2" $R/stats-pf2.txt | grep -v "ADD\|COLS" | head -8
grep -E "SG4|SG16 SMEM2" $R/stats-off.txt | grep -v "ADD\|COLS" | head -4
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
