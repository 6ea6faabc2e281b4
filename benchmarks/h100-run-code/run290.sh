#!/bin/bash
# Twenty-third session: the skinny kernel's STEP64 build with two steps of B in flight a lane (`wa`, `wb`
# alternating; one before: 16 KB a workgroup, ~2 MB over the GPU, which streams at ~1.8 TB/s marginally,
# run285). omnimoe-f (the change) beside omnimoe-b (HEAD d8b86af's code) at 2, 8 and 16 tokens, two
# rounds; gpu_gemm with the change, and the skinny proptest with a mutant (the odd steps' loads from
# the first step) that it must catch.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_gemm_mut omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r290; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r290.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for r in 1 2; do for tk in 2 8 16; do for w in b f; do
  b "T=$tk $w" ./omnimoe-$w bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-$w-$r.json
done; done; done
b "mutant skinny (must fail)" ./gpu_gemm_mut skinny
b "test gpu_gemm" ./gpu_gemm --test-threads 4
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
g=' | '.join('%s x%d %.2f' % (x['gemm'], x['splits'], x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-12s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done | sort -t- -k1,1 -k3
