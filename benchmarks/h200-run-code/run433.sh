#!/bin/bash
# Fortieth session: measuring aids only (omnimoe-h, as run432). The deep down GEMV's ranges in rounds of
# two or four chunks a column (`OMNIMOE_GEMV_RANGE_ROUND`; QUAD's at most two), on two or four columns
# (`OMNIMOE_GEMV_NARROW=g:64`) at 5 to 8 rows, I = 8192, 16384 and 32768, beside as built.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-h; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r433; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r433.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-h bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for i in 8192 16384; do
  run i$i-t5-base X=1 --tokens 5 --intermediate $i
  run i$i-t5-n4rr2 "OMNIMOE_GEMV_NARROW=4:64 OMNIMOE_GEMV_RANGE_ROUND=2" --tokens 5 --intermediate $i
  run i$i-t5-n2rr2 "OMNIMOE_GEMV_NARROW=2:64 OMNIMOE_GEMV_RANGE_ROUND=2" --tokens 5 --intermediate $i
  for t in 6 7; do
    run i$i-t$t-base X=1 --tokens $t --intermediate $i
    run i$i-t$t-rr2 OMNIMOE_GEMV_RANGE_ROUND=2 --tokens $t --intermediate $i
    run i$i-t$t-rr4 OMNIMOE_GEMV_RANGE_ROUND=4 --tokens $t --intermediate $i
    run i$i-t$t-n4rr2 "OMNIMOE_GEMV_NARROW=4:64 OMNIMOE_GEMV_RANGE_ROUND=2" --tokens $t --intermediate $i
  done
  run i$i-t8-base X=1 --tokens 8 --intermediate $i
  run i$i-t8-rr2 OMNIMOE_GEMV_RANGE_ROUND=2 --tokens 8 --intermediate $i
done
for t in 6 8; do
  run i32768-t$t-base X=1 --tokens $t --intermediate 32768
  run i32768-t$t-rr2 OMNIMOE_GEMV_RANGE_ROUND=2 --tokens $t --intermediate 32768
done
grep -E "^(==|rc=)" $L | grep -E "rc=[1-9]" -B1 | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
