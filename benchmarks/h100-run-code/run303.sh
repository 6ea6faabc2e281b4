#!/bin/bash
# Twenty-fourth session: the GEMV on up to 128 lanes (omnimoe-f) beside the build before (omnimoe-b), as
# run302, where the down projection is deeper: the f16 layer at one token with I = 8192 and 16384 (stack
# of 4), and each stage a timed pass of its own (OMNIMOE_STACK_STAGES=1) at the README's sizes in f16
# and f32, to see whether router_experts or the down GEMV bounds their shared pass. Two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r303; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r303.tgz .; }
for r in 1 2; do for w in b f; do
  for i in 8192 16384; do
    b "I=$i L4 $w" ./omnimoe-$w bench --dtype f16 --intermediate $i --layers 4 --tokens 1 --no-autotune --json $R/i$i-$w-$r.json
  done
  b "I=16384 f32 L4 $w" ./omnimoe-$w bench --dtype f32 --intermediate 16384 --layers 4 --tokens 1 --no-autotune --json $R/i16384f32-$w-$r.json
  for d in f16 f32; do
    b "stages $d $w" env OMNIMOE_STACK_STAGES=1 ./omnimoe-$w bench --dtype $d --layers 4 --tokens 1 --no-autotune --json $R/st-$d-$w-$r.json
  done
done; done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
grep -E "^(== |stack stage|stack of)" $L | cut -c1-120
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    g = ' | '.join('%s %.1f (read %.1f)' % (x['gemm'], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-20s layer %.4f stack/layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), g))
PY
