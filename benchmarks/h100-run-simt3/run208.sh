#!/bin/bash
# The review's tidy (tidy: the unused per-lane offsets of the 4-wide loads left out of the VEC8 build, VEC4
# and VEC8 chosen in one place on the host; no change meant) beside 7e199fe (cur, the same kernels). GEMM
# tests with tidy; SIMT f16 and f32 benches one round each.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
V="cur tidy"
cd .dev; for x in gpu_gemm $(for v in $V; do echo omnimoe-$v; done); do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r208; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_gemm" ./gpu_gemm --test-threads 4
for v in $V; do OMNIMOE_NO_COOP=1 b "f16 simt $v" ./omnimoe-$v bench --dtype f16 --json $R/f16simt-$v.json; b "f32 $v" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v.json; done
tar -C $R -czf $OUT/r208.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
"; done
