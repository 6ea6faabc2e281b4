#!/bin/bash
# The down projection at 33..64 tokens on the skinny kernel's ~44 KiB STAGED build (A as deep as unstaged,
# the coalesced loads) instead of its unstaged build, which keeps it under ~35 KiB beside the router (a
# temporary switch, OMNIMOE_SKINNY_ALONE_ALL: every skinny GEMM takes the builds of one that runs beside
# nothing): token sweeps with and without it, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-alone; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r167; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
for i in 1 2; do
  b "sweep default $i" ./omnimoe-alone bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-default-$i.json
  OMNIMOE_SKINNY_ALONE_ALL=1 b "sweep alone $i" ./omnimoe-alone bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-alone-$i.json
done
tar -C $R -czf $OUT/r167.tgz .
grep -E "^(==|rc=)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(22), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'][:9]))
print(' '*22, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
"; done
