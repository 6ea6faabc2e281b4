#!/bin/bash
# Thirty-fifth session: the GEMV at 4–8 rows with measuring aids (one binary, omnimoe-f):
# OMNIMOE_GEMV_FMA (each row's sum one fma at a time: 8 fmas a chunk), OMNIMOE_GEMV_ASTAGE (A's rows
# unpacked to f32 once per workgroup into workgroup memory, K ≤ 1024: the gate/up GEMV),
# OMNIMOE_GEMV_PAIR_ROUND=1 (rounds of one chunk a column); the skinny kernel off (the GEMV up to 8 rows).
# gpu_gemm's GEMV tests with each aid first.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn,wgpu_core=warn,wgpu_hal=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r403; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r403.tgz .; return $rc; }
B() { n=$1; v=$2; shift 2; b "$n" env OMNIMOE_SKINNY=off $v ./omnimoe-f bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
b "gemm gemv fma" env OMNIMOE_GEMV_FMA=1 ./gpu_gemm gemv --test-threads 4
b "gemm gemv astage" env OMNIMOE_GEMV_ASTAGE=1 ./gpu_gemm gemv --test-threads 4
for v in base fma astage both; do
  case $v in base) e="";; fma) e="OMNIMOE_GEMV_FMA=1";; astage) e="OMNIMOE_GEMV_ASTAGE=1";; both) e="OMNIMOE_GEMV_FMA=1 OMNIMOE_GEMV_ASTAGE=1";; esac
  for t in 4 5 8; do B t$t-$v "$e" --tokens $t; done
  for t in 5 8; do B i16384-t$t-$v "$e" --tokens $t --intermediate 16384; done
done
B t8-round1 "OMNIMOE_GEMV_PAIR_ROUND=1" --tokens 8
B i16384-t8-round1 "OMNIMOE_GEMV_PAIR_ROUND=1" --tokens 8 --intermediate 16384
B t8-fma-round1 "OMNIMOE_GEMV_FMA=1 OMNIMOE_GEMV_PAIR_ROUND=1" --tokens 8
B i16384-t8-fma-round1 "OMNIMOE_GEMV_FMA=1 OMNIMOE_GEMV_PAIR_ROUND=1" --tokens 8 --intermediate 16384
grep -E "^(==|rc=|test result)|panicked|Case failed|WARN|ERROR" $L | cut -c1-240 | grep -E "test|rc=[1-9]|panick|WARN|ERROR"
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
