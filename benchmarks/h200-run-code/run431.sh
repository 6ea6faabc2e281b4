#!/bin/bash
# Fortieth session: the down GEMV reading A (the SwiGLU output) as f32 (`OMNIMOE_GEMV_AF32`, an aid in
# this build: every GEMV of 2 to 8 rows in chunks of eight that is not the gate/up GEMV; the layer's
# values are wrong under it, its timing is not) against as built, at 4 to 8 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-g; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r431; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r431.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-g bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:4 4096:5 4096:6 4096:7 4096:8 16384:4 16384:5 16384:6 16384:7 16384:8 8192:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-base X=1 --tokens $t --intermediate $i
  run i$i-t$t-af32 OMNIMOE_GEMV_AF32=1 --tokens $t --intermediate $i
done
run i16384-t5-af32-n2 "OMNIMOE_GEMV_AF32=1 OMNIMOE_GEMV_NARROW=2:64" --tokens 5 --intermediate 16384
run i16384-t5-af32-n4 "OMNIMOE_GEMV_AF32=1 OMNIMOE_GEMV_NARROW=4:64" --tokens 5 --intermediate 16384
run i16384-t6-af32-n4 "OMNIMOE_GEMV_AF32=1 OMNIMOE_GEMV_NARROW=4:64" --tokens 6 --intermediate 16384
run i16384-t7-af32-n4 "OMNIMOE_GEMV_AF32=1 OMNIMOE_GEMV_NARROW=4:64" --tokens 7 --intermediate 16384
grep -E "^(==|rc=)" $L | grep -E "rc=[1-9]" -B1 | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
