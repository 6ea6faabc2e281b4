#!/bin/bash
# Each value's and each candidate's rank counted in pieces by several invocations and summed by
# workgroup atomics (omnimoe-f), beside the build without (omnimoe-b1, 361be32) and the session's base
# (omnimoe-b, c505638): GPU tests with omnimoe-f's kernels; one token through stacks of 4 and 8, 16 tokens
# through a stack of 4, two rounds interleaved, f32 one token through a stack of 4; each stage timed
# alone; then the token sweep (stacks of 4) with whichever of b1 and f ran one token through a stack of 4
# faster.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared gpu_layer omnimoe-b omnimoe-b1 omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r265; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared gpu_layer; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do for w in b b1 f; do
for l in 4 8; do b "L=$l $w $r" ./omnimoe-$w bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-$w-$r.json; done
b "T=16 $w $r" ./omnimoe-$w bench --dtype f16 --tokens 16 --layers 4 --json $R/t16-$w-$r.json
done; done
for w in b f; do b "f32 $w" ./omnimoe-$w bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-$w.json; done
for w in b1 f; do OMNIMOE_STACK_STAGES=1 b "stages $w" ./omnimoe-$w bench --dtype f16 --tokens 1 --layers 8; done
OMNIMOE_STACK_STAGES=1 b "stages T=16 f" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4
W=$(python3 -c "
import json
m={w: sum(json.load(open('$R/l4-%s-%d.json'%(w,r)))['stack']['gpu_ms_per_layer'] for r in (1,2)) for w in ('b1','f')}
print('f' if m['f'] <= m['b1'] else 'b1')
")
echo "sweep with $W" >> $L
b "sweep $W" ./omnimoe-$W bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
tar -C $R -czf $OUT/r265.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal|sweep with)" $L | grep -v "^== [LTf]\|^rc=0 [0-9]s" | cut -c1-220
for f in $R/l*.json $R/t16*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-14s layer %.4f  stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer']))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
print(' '.join('%d:%.4f/%.4f'%(p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer']) for p in d['sweep']))
"
