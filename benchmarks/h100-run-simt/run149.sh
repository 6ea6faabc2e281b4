#!/bin/bash
# A 32 x 128 tensor-core tile (CoopTile::Slim: 4 subgroups of 32 x 32 laid 1 x 4) among the autotune's
# candidates: twice the workgroups of the 64 x 128 tile at 64 rows. GPU tests (the GEMM proptest runs
# every candidate); T = 32, 64, 128, 256 beside the eighth session's build, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-base8 gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r149; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_stages" ./gpu_stages --test-threads 4
for i in 1 2; do for t in 64 32 128 256; do
  b "t$t base $i" ./omnimoe-base8 bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-base-$i.json
  b "t$t new $i" ./omnimoe-final bench --dtype f16 --tokens $t --runs 20 --json $R/t$t-new-$i.json
done; done
tar -C $R -czf $OUT/r149.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | grep -v "^== t" | cut -c1-200
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v*1000,1) for k,v in d['stages'].items()})
for g in d.get('gemm_tuning',[]):
    c=sorted(g['candidates_ms'], key=lambda c:c['ms'])[:3]
    print('   ', g['shape'], '->', g['chosen'][:60], ' | ', ' '.join('%s:%.4f'%(x['kernel'].replace('Coop(CoopConfig { ','')[:40],x['ms']) for x in c))
"; done
