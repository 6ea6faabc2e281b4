#!/bin/bash
# Twenty-fourth session: the GEMV's lanes up to 128 (gemv_lanes: the down projection at one token on 128
# lanes, 512 workgroups; run301 measured it through OMNIMOE_GEMV_LANES). omnimoe-b: HEAD (2cf791f);
# omnimoe-f and the four GPU test binaries: HEAD + the change. The tests, then three rounds of the layer
# at one token (f16 stacks of 4 and 8, f32 stack of 4) beside the build before, then each GEMM alone at
# I = 4096, 8192, 16384 (one token) with the new rule.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b omnimoe-f gpu_gemm gpu_layer gpu_stages gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r302; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r302.tgz .; }
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
for r in 1 2 3; do for w in b f; do
  b "T=1 L4 $w" ./omnimoe-$w bench --dtype f16 --layers 4 --tokens 1 --no-autotune --json $R/t1-L4-$w-$r.json
  b "T=1 L8 $w" ./omnimoe-$w bench --dtype f16 --layers 8 --tokens 1 --no-autotune --json $R/t1-L8-$w-$r.json
  b "T=1 f32 L4 $w" ./omnimoe-$w bench --dtype f32 --layers 4 --tokens 1 --no-autotune --json $R/t1-f32-$w-$r.json
done; done
for i in 4096 8192 16384; do
  b "I=$i" ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 1 --runs 10 --no-autotune --json $R/m/i$i-f.json
done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')) + sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    g = ' | '.join('%s %.1f (read %.1f)' % (x['gemm'], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-16s layer %.4f stack/layer %.4f wall %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), d.get('layer_wall_ms', 0), g))
PY
