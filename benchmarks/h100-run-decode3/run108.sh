#!/bin/bash
# 64 x 64 tensor-core tiles (CoopTile::Quarter, SG2) among the autotune's candidates (q) against the
# session's final build (final, c7b7606), interleaved token sweeps; the autotune's candidates at T=64/128/256;
# the GEMM tests with the new tile.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-q gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r108; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test stages" ./gpu_stages --test-threads 4 gemm
for i in 1 2; do
  b "sweep final $i" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-final-$i.json
  b "sweep q $i" ./omnimoe-q bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-q-$i.json
done
for t in 64 128 256; do b "point q T=$t" ./omnimoe-q bench --dtype f16 --tokens $t --runs 10 --json $R/point-q-$t.json; done
tar -C $R -czf $OUT/r108.tgz .
grep -E "^(==|rc=|NVIDIA|test result|panicked)" $L | cut -c1-200
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'] if p['tokens']>=16))
"; done
for f in $R/point-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], d['layer_ms'])
for g in d['gemm_tuning']:
  print('  ', g['shape'], g['chosen'][22:50], ' '.join('%s:%.4f'%(c['kernel'][28:36],c['ms']) for c in g['candidates_ms'] if 'Half' in c['kernel'] or 'Quarter' in c['kernel'] or 'Square, k_step: 64, double_buffer: false, direct: true, smem_vec: 2' in c['kernel']))
"; done
