#!/bin/bash
# The GEMV up to 16 rows (ROWS16) beside the build before it (run223's new build, "base"): GPU tests of the
# new build; token sweeps of f32, f16 without tensor cores (9-16 tokens now on the GEMV) and f16 on tensor
# cores (its one-token GEMV: the 8-row build's code reorganised), each beside the base.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-base omnimoe-n; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r224; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for v in base n; do
b "f32 $v" ./omnimoe-$v bench --dtype f32 --sweep tokens --json $R/tok-f32-$v.json
OMNIMOE_NO_COOP=1 b "f16simt $v" ./omnimoe-$v bench --dtype f16 --sweep tokens --json $R/tok-f16simt-$v.json
b "f16 $v" ./omnimoe-$v bench --dtype f16 --sweep tokens --json $R/tok-f16-$v.json
done
tar -C $R -czf $OUT/r224.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1])
for p in d['sweep']:
    print('  T=%-5d layer %.4f  %s'%(p['tokens'], p['layer_ms'], ' '.join('%s=%.4f'%(k[:10],v) for k,v in p['stages'].items())))
"; done
