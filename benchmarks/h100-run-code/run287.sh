#!/bin/bash
# Twenty-third session: the GEMV's partial sums padded a word a (column, row) (`shaders/gemv.wgsl`'s
# `slot`): the invocations that add them in lane order read side by side instead of all on one bank.
# The same sums in the same order. omnimoe-f (the change) beside omnimoe-b (HEAD 3f1ecc5's code) at one
# token, three rounds; gpu_gemm (the GEMV's proptests), gpu_prepared and gpu_layer with the change.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_gemm gpu_prepared gpu_layer omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r287; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r287.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for r in 1 2 3; do for w in b f; do
  b "T=1 $w L4" ./omnimoe-$w bench --dtype f16 --layers 4 --tokens 1 --no-autotune --json $R/t1-$w-$r.json
done; done
for w in b f; do
  b "T=1 $w L8" ./omnimoe-$w bench --dtype f16 --layers 8 --tokens 1 --no-autotune --json $R/l8-$w.json
  b "T=1 $w f32 L4" ./omnimoe-$w bench --dtype f32 --layers 4 --tokens 1 --no-autotune --json $R/f32-$w.json
done
b "test gpu_gemm" ./gpu_gemm --test-threads 4
b "test gpu_prepared" ./gpu_prepared --test-threads 4
b "test gpu_layer" ./gpu_layer --test-threads 4
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
g=' | '.join('%s %.2f' % (x['gemm'], x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-10s layer %.4f stack/layer %.4f | %s | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g, {k: round(v*1e3,2) for k, v in d['stages'].items()}))
"; done
