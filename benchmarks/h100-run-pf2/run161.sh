#!/bin/bash
# The GEMMs alone on weights from device memory (gemm_stream) at three sizes of the dense MLP (I = 4096,
# 8192, 16384: the gate/up GEMV reads 17, 34, 67 MB, the down GEMV 8, 17, 34 MB), to separate each
# kernel's fixed cost in a chain from its streaming rate; and the GEMV with eight loads in flight a lane
# instead of four (OMNIMOE_GEMV_LOADS8, a temporary switch), interleaved with the default at I = 4096.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-l8; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r161; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for i in 1 2; do
  b "sweep default $i" ./omnimoe-l8 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-default-$i.json
  OMNIMOE_GEMV_LOADS8=1 b "sweep loads8 $i" ./omnimoe-l8 bench --dtype f16 --sweep tokens --runs 10 --json $R/tokens-loads8-$i.json
done
for I in 8192 16384; do
  b "sweep I=$I" ./omnimoe-l8 bench --dtype f16 --intermediate $I --sweep tokens --runs 5 --json $R/tokens-i$I.json
done
tar -C $R -czf $OUT/r161.tgz .
grep -E "^(==|rc=)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
for p in d['sweep']:
    if p['tokens'] in (1,2,4,16,32,64,256):
        print('   T=%d'%p['tokens'], ' '.join('%s %.4f ms %.0f GB/s %s x%d'%(g['gemm'],g['ms'],g['weight_gbps'],g['kernel'][:22],g['splits']) for g in p.get('gemm_stream',[])))
"; done
