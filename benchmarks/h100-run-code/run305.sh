#!/bin/bash
# Twenty-fourth session, the final build (5f6d2dd): the four GPU test binaries, the token sweep (README
# sizes, f16, stack of 4: the same dispatches as the twenty-third session's final build, re-measured), and
# the one-token layer at I = 16384 in f16 and f32 (the GEMV's down projection on 128 lanes).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer gpu_stages gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r305; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r305.tgz .; }
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
for d in f16 f32; do
  b "I=16384 $d" ./omnimoe-f bench --dtype $d --intermediate 16384 --layers 4 --tokens 1 --no-autotune --json $R/i16384-$d.json
done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']:
    s=p.get('stack') or {}
    g=' / '.join('%.1f' % (x['ms']*1000) for x in p.get('gemm_stream', []))
    print('T=%-5d gpu %.4f stack %.4f wall %.4f (%.4f) spin %.4f (%.4f) | %s' % (p['tokens'], p['layer_ms'], s.get('gpu_ms_per_layer', 0), p['layer_wall_ms'], p['layer_wall_ms']-p['layer_ms'], p['layer_wall_spin_ms'], p['layer_wall_spin_ms']-p['layer_ms'], g))
for f in ('i16384-f16', 'i16384-f32'):
    d=json.load(open('$R/%s.json' % f)); s=d.get('stack') or {}
    print(f, 'layer %.4f stack/layer %.4f' % (d['layer_ms'], s.get('gpu_ms_per_layer', 0)), ' | '.join('%s %.1f' % (x['gemm'], x['ms']*1e3) for x in d.get('gemm_stream', [])))
"
