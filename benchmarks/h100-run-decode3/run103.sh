#!/bin/bash
# (b) = the partial products' loads before the branch, 64 x 128 tensor-core tiles among the autotune's
# candidates, host timing breakdown and polling wait; against (a), the build of run102. Interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-a omnimoe-b gpu_stages gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r103; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do
  b "sweep a $i" ./omnimoe-a bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-a-$i.json
  b "sweep b $i" ./omnimoe-b bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-b-$i.json
done
b "sweep b skinny=all" env OMNIMOE_SKINNY=all ./omnimoe-b bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-b-skinnyall.json
for t in 64 128 256; do
  b "point b T=$t" ./omnimoe-b bench --dtype f16 --tokens $t --runs 10 --json $R/point-b-$t.json
done
b "test stages" ./gpu_stages --test-threads 2
b "test layer" ./gpu_layer
tar -C $R -czf $OUT/r103.tgz .
grep -E "^(==|rc=|NVIDIA|test result|test .*FAIL|panicked)" $L | cut -c1-200
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   wall', ' '.join('%d:%.4f'%(p['tokens'],p['layer_wall_ms']) for p in d['sweep']))
print('   spin', ' '.join('%d:%.4f'%(p['tokens'],p.get('layer_wall_spin_ms') or 0) for p in d['sweep']))
print('   enc/sub', ' '.join('%d:%.4f/%.4f'%(p['tokens'],p.get('host_encode_ms') or 0,p.get('host_submit_ms') or 0) for p in d['sweep'] if p['tokens'] in (1,64,4096)))
"; done
for f in $R/point-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], d['layer_ms'], [ (g['shape'], g['chosen'][:60]) for g in d['gemm_tuning']])
for g in d['gemm_tuning']:
  print('  ', g['shape'], ' '.join('%s:%.4f'%(c['kernel'][22:60],c['ms']) for c in g['candidates_ms']))
"; done
