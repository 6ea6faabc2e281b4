#!/bin/bash
# The GEMV on weights by K slabs, its partial sums stored [row][lane][column] (run214's build stored them
# by column, COLUMNS-way on one bank, once neighbouring invocations held neighbouring columns). f32 and
# SIMT f16 layers at 1 and 8 tokens, rows (OMNIMOE_NO_SLABS=1) beside slabs, two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r215; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do for t in 1 8; do
  OMNIMOE_NO_SLABS=1 b "f32 rows t$t $i" ./omnimoe-s bench --dtype f32 --tokens $t --json $R/f32-rows-t$t-$i.json
  b "f32 slabs t$t $i" ./omnimoe-s bench --dtype f32 --tokens $t --json $R/f32-slabs-t$t-$i.json
  OMNIMOE_NO_SLABS=1 OMNIMOE_NO_COOP=1 b "f16simt rows t$t $i" ./omnimoe-s bench --dtype f16 --tokens $t --json $R/f16simt-rows-t$t-$i.json
  OMNIMOE_NO_COOP=1 b "f16simt slabs t$t $i" ./omnimoe-s bench --dtype f16 --tokens $t --json $R/f16simt-slabs-t$t-$i.json
done; done
tar -C $R -czf $OUT/r215.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | paste - - | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stages']
print('%-28s layer %.4f  %s'%('$f'.split('/')[-1], d['layer_ms'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in s.items())))
"; done
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1])
for p in d['sweep']:
    gs=' '.join('%s %.4f'%(g['gemm'],g['ms']) for g in (p.get('gemm_stream') or []))
    print('  T=%-5d layer %.4f  %s | %s'%(p['tokens'], p['layer_ms'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in p['stages'].items()), gs))
"; done
