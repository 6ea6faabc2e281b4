#!/bin/bash
# Skinny kernel, timing-only variants (wrong results): nob (B's fragments from workgroup memory, no weight
# reads), plain (the same weight bytes read with 16-byte loads per lane into a sink, fragments from
# workgroup memory), beside base (a240115): interleaved token sweeps.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-nob omnimoe-plain pipeline_stats; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r117; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
./pipeline_stats gemm_skinny=skinny_plain.wgsl > $R/stats-skinny-plain.txt 2>&1
./pipeline_stats gemm_skinny > $R/stats-skinny.txt 2>&1
for i in 1 2; do for v in t nob plain; do b "sweep $v $i" ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json; done; done
tar -C $R -czf $OUT/r117.tgz .
grep -E "^(==|rc=)" $L | paste - -
cat $R/stats-skinny-plain.txt $R/stats-skinny.txt | grep -v ACT
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['sweep'][:8]
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in s))
print('   gu', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_gate_up_router',0)) for p in s))
print('   dn', ' '.join('%d:%.4f'%(p['tokens'],p['stages'].get('dense_down',0)) for p in s))
"; done
