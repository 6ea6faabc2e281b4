#!/bin/bash
# NOT RUN YET (prepared at the end of the twenty-first session, no device time left): the tensor-core
# GEMM's 64 × 64 tiles at K step 64 double buffered as one more autotune candidate (`quarter_db.diff`,
# omnimoe-f and gpu_gemm built with it; naga validates its variants), beside the build without
# (omnimoe-b, the commit it applies to): gpu_gemm (every candidate against the CPU); 32, 64, 128 and 256
# tokens through a stack of 4 and one layer, two rounds interleaved, with each GEMM alone from memory
# (gemm_stream) and the autotune's candidate times. Build: omnimoe-b at HEAD; `git apply
# benchmarks/h100-run-code/quarter_db.diff`, omnimoe-f and `cargo test --release --no-run -p omnimoe
# --test gpu_gemm` → .dev/gpu_gemm.xz; `git checkout src/gpu/stages/gemm_kernel.rs`.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r276; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_gemm" ./gpu_gemm --test-threads 4
for r in 1 2; do for w in b f; do for tk in 32 64 128 256; do
b "T=$tk $w $r" ./omnimoe-$w bench --dtype f16 --tokens $tk --layers 4 --json $R/t$tk-$w-$r.json
done; done; done
tar -C $R -czf $OUT/r276.tgz .
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]s" | cut -c1-220
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
g=' '.join('%s %s %.1f' % (x['gemm'], x['kernel'].replace('Coop(CoopConfig { tile: ','').split(', direct')[0], x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-12s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], g))
for t in d.get('gemm_tuning', []):
    q = [c for c in t.get('candidates_ms', []) if 'Quarter' in c['kernel']]
    print('    ', t.get('shape'), ' '.join('%s %.4f' % (c['kernel'].split('k_step: ')[1].split(', direct')[0], c['ms']) for c in q), '| chosen', str(t.get('chosen'))[:60])
"; done
