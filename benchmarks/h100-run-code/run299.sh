#!/bin/bash
# Twenty-fourth session: the skinny kernel's COLS16 build (16 columns a subgroup, 128 k a step: twice the
# workgroups at the same K ranges, each subgroup holding as many bytes in flight), chosen by
# OMNIMOE_SKINNY_COLS16=1 (a measuring aid in this build). Its tests on the H100 (the skinny kernel runs on
# tensor cores only here), then the layer at 2, 8 and 16 tokens in a stack of 4 beside the build without it
# (same binary), with the skinny kernel aiming at 64, 128 (default) and 256 workgroups of 128 columns; then
# the marginal rate at 16 tokens (I = 4096, 8192, 16384).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r299; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r299.tgz .; }
b "gpu_gemm skinny (cols16)" env OMNIMOE_SKINNY_COLS16=1 ./gpu_gemm skinny --test-threads 4
b "gpu_layer few_token (cols16)" env OMNIMOE_SKINNY_COLS16=1 ./gpu_layer few_token --test-threads 4
for r in 1 2; do for tk in 2 8 16; do
  b "T=$tk base" ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-base-$r.json
  for w in 64 128 256; do
    b "T=$tk c16 w$w" env OMNIMOE_SKINNY_COLS16=1 OMNIMOE_SKINNY_WGS=$w ./omnimoe-f bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-c16w$w-$r.json
  done
done; done
mkdir -p $R/m
for i in 4096 8192 16384; do
  b "I=$i base" ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-base.json
  b "I=$i c16" env OMNIMOE_SKINNY_COLS16=1 ./omnimoe-f bench --dtype f16 --intermediate $i --tokens 16 --runs 10 --no-autotune --json $R/m/i$i-c16.json
done
grep -E "^(== gpu|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
cd /work 2>/dev/null; python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/*.json')) + sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    g = ' | '.join('%s %s %.1f (read %.1f)' % (x['gemm'], x['kernel'][:22], x['ms'] * 1e3,
        next((r['ms'] * 1e3 for r in d.get('read_stream', []) if r['gemm'] == x['gemm']), 0)) for x in d.get('gemm_stream', []))
    print('%-18s layer %.4f stack/layer %.4f | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), g))
PY
