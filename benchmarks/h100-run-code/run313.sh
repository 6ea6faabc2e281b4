#!/bin/bash
# Twenty-fifth session, the final build (454fe90: the fused chain only below 16 MiB of the down
# projection's reads of the gate/up partial products) beside the build before it (3c88ee2, omnimoe-b):
# per layer of a stack of 4 at I = 4096 (16 tokens; the README's sizes, unchanged), 8192 (16) and 16384
# (8, 16), two rounds, with the output's FNV-1a; then the four GPU test binaries.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f omnimoe-b gpu_gemm gpu_layer gpu_stages gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r313; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r313.tgz .; }
for r in 1 2; do for p in 4096:16 8192:16 16384:8 16384:16; do i=${p%:*}; tk=${p#*:}; for x in b f; do
  b "I=$i T=$tk $x" ./omnimoe-$x bench --dtype f16 --intermediate $i --layers 4 --tokens $tk --runs 10 --no-autotune --json $R/m/i$i-t$tk-$x-$r.json
done; done; done
for t in gpu_gemm gpu_layer gpu_stages gpu_prepared; do b "test $t" ./$t --test-threads 4; done
grep -E "^(== test|rc=[1-9]|test result|panicked|thread|error)" $L | cut -c1-220
python3 - $R <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(sys.argv[1] + '/m/*.json')):
    d = json.load(open(f))
    s = d.get('stack') or {}
    st = d.get('stages', {})
    print('%-22s layer %.4f stack/layer %.4f | %s | %s' % (os.path.basename(f), d.get('layer_ms', 0), s.get('gpu_ms_per_layer', 0), ' '.join('%s %.1f' % (k, v * 1e3) for k, v in st.items() if 'dense' in k), d.get('output_digest')))
PY
