#!/bin/bash
# Fortieth session: measuring aids only (omnimoe-h: as built, plus `OMNIMOE_GEMV_RANGE_ROUND`, the
# chunks a column each round of a deep narrow GEMV's ranges loads, 1 as built). The gate/up GEMV at 8
# rows in rounds of one (`OMNIMOE_GEMV_QUAD=1`) and on twice the lanes (`OMNIMOE_GEMV_PAIR=double`); the
# down GEMV at 5 rows in four ranges of one column or on 128 lanes, at 6-8 rows in rounds of two.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r432; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r432.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-h bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:8 8192:8 16384:5 16384:6 16384:7 16384:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-base X=1 --tokens $t --intermediate $i
done
for i in 4096 8192 16384; do run i$i-t8-quad1 OMNIMOE_GEMV_QUAD=1 --tokens 8 --intermediate $i; done
for s in 4096:8 16384:6 16384:7 16384:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-double OMNIMOE_GEMV_PAIR=double --tokens $t --intermediate $i
done
run i16384-t5-split4 OMNIMOE_GEMV_SPLIT=4 --tokens 5 --intermediate 16384
run i16384-t5-n2x128 OMNIMOE_GEMV_NARROW=2:128 --tokens 5 --intermediate 16384
run i16384-t5-n4x128 OMNIMOE_GEMV_NARROW=4:128 --tokens 5 --intermediate 16384
run i16384-t6-n2x128 OMNIMOE_GEMV_NARROW=2:128 --tokens 6 --intermediate 16384
run i16384-t8-n4x128 OMNIMOE_GEMV_NARROW=4:128 --tokens 8 --intermediate 16384
for s in 8192:8 16384:6 16384:7 16384:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-rr2 OMNIMOE_GEMV_RANGE_ROUND=2 --tokens $t --intermediate $i
done
grep -E "^(==|rc=)" $L | grep -E "rc=[1-9]" -B1 | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
