#!/bin/bash
# The f32 down projection's workgroups in pairs that share a tile of A (pa: tiles (r, 2q) and (r, 2q + 1))
# or of B (pb: (2r, c) and (2r + 1, c)): the grid is PS + tiles/2 workgroups in one row, workgroup i < PS
# the first of pair i and PS + i its second, on the guess that the H100 puts workgroups i and i + 132
# (its SM count) on one SM, so that the second finds its partner's lines in L1. PS = 132, and 66 as a
# control. One binary, OMNIMOE_X_PAIR choosing; cur = none. The same sums (a permutation of tiles).
# f32 benches two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r212; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for i in 1 2; do
  b "f32 cur $i" ./omnimoe-p bench --dtype f32 --json $R/f32-cur-$i.json
  OMNIMOE_X_PAIR=a b "f32 pa $i" ./omnimoe-p bench --dtype f32 --json $R/f32-pa-$i.json
  OMNIMOE_X_PAIR=b b "f32 pb $i" ./omnimoe-p bench --dtype f32 --json $R/f32-pb-$i.json
  OMNIMOE_X_PAIR=a OMNIMOE_X_PS=66 b "f32 pa66 $i" ./omnimoe-p bench --dtype f32 --json $R/f32-pa66-$i.json
done
tar -C $R -czf $OUT/r212.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | paste - - | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stages']
al=[min(c['ms'] for c in g['candidates_ms'] if 'k_step: 8, double_buffer: false' in c['kernel']) for g in d['gemm_tuning']]
print('%-22s layer %.4f gu %.4f down %.4f | alone gu %.4f down %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['dense_gate_up_router'], s['dense_down'], al[0], al[1]))
"; done
