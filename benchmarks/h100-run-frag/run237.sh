#!/bin/bash
# Split-K's partial products of the SIMT kernel with permuted columns too (OMNIMOE_SPLITK_PERM=1,
# splitk_perm.diff; stream-K's are permuted as built): token sweeps, f32 and f16 without tensor cores,
# each beside the build as it is, one binary.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r237; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "f32 sweep off" ./omnimoe-s bench --dtype f32 --sweep tokens --json $R/tok-f32-off.json
OMNIMOE_SPLITK_PERM=1 b "f32 sweep perm" ./omnimoe-s bench --dtype f32 --sweep tokens --json $R/tok-f32-perm.json
OMNIMOE_NO_COOP=1 b "f16simt sweep off" ./omnimoe-s bench --dtype f16 --sweep tokens --json $R/tok-f16simt-off.json
OMNIMOE_NO_COOP=1 OMNIMOE_SPLITK_PERM=1 b "f16simt sweep perm" ./omnimoe-s bench --dtype f16 --sweep tokens --json $R/tok-f16simt-perm.json
tar -C $R -czf $OUT/r237.tgz .
grep -E "^(==|rc=|panicked)" $L | paste - - | cut -c1-160
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'], p['layer_ms']) for p in d['sweep']))
"; done
