#!/bin/bash
# Twenty-fourth session: the decode chain's gate/up GEMV (gemv.wgsl's ASUM) requests its first round of B
# before it makes the row from the previous layer's two parts, instead of after (the same sums: the
# gemv_parts proptest checks the bits against the plain GEMV). omnimoe-b: HEAD (37f2927); omnimoe-f and
# the four GPU test binaries: HEAD + the change. The tests, then three rounds of the layer at one token
# (f16 stacks of 4 and 8, f32 stack of 4, each with one lone layer) beside the build before, then each
# stage a timed pass of its own (stack of 8, f16) for both.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b omnimoe-f gpu_gemm gpu_layer gpu_stages gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r304; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r304.tgz .; }
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
for r in 1 2 3; do for w in b f; do
  b "T=1 L4 $w" ./omnimoe-$w bench --dtype f16 --layers 4 --tokens 1 --no-autotune --json $R/t1-L4-$w-$r.json
  b "T=1 L8 $w" ./omnimoe-$w bench --dtype f16 --layers 8 --tokens 1 --no-autotune --json $R/t1-L8-$w-$r.json
  b "T=1 f32 L4 $w" ./omnimoe-$w bench --dtype f32 --layers 4 --tokens 1 --no-autotune --json $R/t1-f32-$w-$r.json
done; done
for w in b f; do
  b "stages $w" env OMNIMOE_STACK_STAGES=1 ./omnimoe-$w bench --dtype f16 --layers 8 --tokens 1 --no-autotune --json $R/st-$w.json
done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
grep -E "^(== stages|stack stage)" $L
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    print('%-16s layer %.4f stack/layer %.4f wall %.4f' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), d.get('layer_wall_ms', 0)))
PY
