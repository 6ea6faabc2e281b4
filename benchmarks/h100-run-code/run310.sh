#!/bin/bash
# Twenty-fifth session: the skinny kernel's partial products through workgroup memory (EPI, one fragment
# row, where the bytes fit 48 KiB), then stored by whole rows. Same binary: OMNIMOE_SKINNY_EPI=off (as
# before), =alone (EPI only for GEMMs beside no other dispatch: the gate/up GEMM), default on. Layer at 2,
# 8, 16 tokens (stack of 4, two rounds), each GEMM alone at I = 8192, 16384; then gpu_gemm, gpu_prepared,
# gpu_layer with EPI on.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_prepared gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r310; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r310.tgz .; }
for r in 1 2; do for tk in 2 8 16; do for e in off alone on; do
  b "T=$tk $e" env OMNIMOE_SKINNY_EPI=$e ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-$e-$r.json
done; done; done
for i in 8192 16384; do for e in off on; do
  b "I=$i $e" env OMNIMOE_SKINNY_EPI=$e ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-$e.json
done; done
for t in gpu_gemm gpu_prepared gpu_layer; do b "test $t" ./$t --test-threads 4; done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread|error)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')) + sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    g = ' | '.join('%s %.1f (read %.1f)' % (x['gemm'], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-18s layer %.4f stack/layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), g))
PY
