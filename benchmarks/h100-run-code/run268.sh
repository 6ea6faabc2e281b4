#!/bin/bash
# Prepared at the end of the twentieth session, run in the twenty-first: expert_token in 16
# slices a token up to 16 tokens, V and the down projection's partial products an element an invocation
# (`expert_token_spread.diff`, omnimoe-f; lavapipe's gpu_stages, gpu_layer and gpu_prepared pass with it,
# the partial products' order checked to fail when reversed), beside the build without (omnimoe-b, the
# commit it applies to): GPU tests with omnimoe-f's kernels; 16, 8 and 2 tokens through a stack of 4 and
# one layer, two rounds interleaved; 4, 8 and 32 slices (OMNIMOE_ET_SLICES) at 16 and 8 tokens; each stage of the stack at 16 tokens timed alone.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared gpu_layer omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r268; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared gpu_layer; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for w in b f; do for tk in 16 8 2; do
b "T=$tk $w $r" ./omnimoe-$w bench --dtype f16 --tokens $tk --layers 4 --json $R/t$tk-$w-$r.json
done; done; done
for sl in 4 8 32; do for tk in 16 8; do OMNIMOE_ET_SLICES=$sl b "T=$tk f slices=$sl" ./omnimoe-f bench --dtype f16 --tokens $tk --layers 4 --json $R/t$tk-f-s$sl.json; done; done
for w in b f; do OMNIMOE_STACK_STAGES=1 b "stages T=16 $w" ./omnimoe-$w bench --dtype f16 --tokens 16 --layers 4; done
tar -C $R -czf $OUT/r268.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal)" $L | grep -v "^== T=\|^rc=0 [0-9]s" | cut -c1-220
for f in $R/t*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-14s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
