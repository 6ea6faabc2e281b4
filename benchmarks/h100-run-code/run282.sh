#!/bin/bash
# Run in the twenty-third session as part of run285.sh (results in run285/): the 64 × 64
# tiles over 16 subgroups (`quarter16.diff`: flags SG16 SGW FM1 FN1, one 16 × 16 accumulator a subgroup,
# one or two 16-byte loads an invocation a K step; Quarter16 at K step 64, 34 KiB, and Quarter16Turns at
# 128 with the staging in turns, 38 KiB) as autotune candidates, after 4 → 8 subgroups took the gate/up
# GEMM at 32–64 rows from 16.0 to 13.6 µs. naga validates its variants. Build: omnimoe-b at HEAD; `git
# apply benchmarks/h100-run-code/quarter16.diff`, omnimoe-f and gpu_gemm (`cargo test --release --no-run
# -p omnimoe --test gpu_gemm`) → .dev/*.xz; `git checkout shaders src`. Keep it only if the autotune picks
# it and the layer gains (stack of 4 at 32 and 64 tokens).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r282; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r282.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_gemm" ./gpu_gemm --test-threads 4
for r in 1 2; do for tk in 32 64 128; do for w in b f; do
  b "T=$tk $w" ./omnimoe-$w bench --dtype f16 --layers 4 --tokens $tk --json $R/t$tk-$w-$r.json
done; done; done
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*-[0-9].json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
short=lambda k: k.replace('Coop(CoopConfig { tile: ','').replace(', direct: true','').replace(' })','').replace('double_buffer: false, ','').replace('smem_vec: ','v').replace('k_step: ','k')
g=' | '.join('%s %s %.1f' % (x['gemm'], short(x['kernel']), x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-12s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done
