#!/bin/bash
# Twenty-fourth session: the GEMV on 128 lanes a column (OMNIMOE_GEMV_LANES=128, which this build admits;
# 2 columns a workgroup). The down projection at one token streams 1024 columns on 64 lanes, 256
# workgroups, 8 chunks a lane at I = 4096 and 32 at 16384 (46–65% of HBM marginally, run285). Tests with
# 128 lanes (gemv proptest, the layer), then each GEMM alone at I = 4096, 8192, 16384 and the layer at one
# token (stack of 4 and 8), default / 64 / 128 lanes.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r301; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r301.tgz .; }
b "gpu_gemm gemv (128 lanes)" env OMNIMOE_GEMV_LANES=128 ./gpu_gemm gemv --test-threads 4
b "gpu_layer (128 lanes)" env OMNIMOE_GEMV_LANES=128 ./gpu_layer --test-threads 4
for i in 4096 8192 16384; do for l in d 64 128; do
  b "I=$i lanes $l" env OMNIMOE_GEMV_LANES=$l ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 1 --runs 10 --no-autotune --json $R/m/i$i-l$l.json
done; done
for r in 1 2; do for l in d 128; do for s in 4 8; do
  b "T=1 L$s lanes $l" env OMNIMOE_GEMV_LANES=$l ./omnimoe-f bench --dtype f16 --layers $s --tokens 1 --no-autotune --json $R/t1-L$s-l$l-$r.json
done; done; done
grep -E "^(== gpu|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')) + sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    g = ' | '.join('%s %.1f (read %.1f)' % (x['gemm'], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-16s layer %.4f stack/layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), g))
PY
