#!/bin/bash
# Fortieth session, the candidate (omnimoe-i: a deep narrow GEMV's ranges on four columns a group from 5
# rows, in rounds of two chunks a column) beside the rule before (through aids: at 5 rows two ranges of
# one column, `OMNIMOE_GEMV_NARROW=off`; at 6 and 7 two columns in rounds of one; at 8 four in rounds of
# one); four columns at 3 and 4 rows through `OMNIMOE_GEMV_NARROW=4:64`; the GPU tests; the token sweep.
# (benchmarks/h100-run-code held out of the copy: the carry's 64 MiB.)
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-i gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r434; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r434.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-i bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
old() { case $1 in 5) echo OMNIMOE_GEMV_NARROW=off;; 6|7) echo "OMNIMOE_GEMV_NARROW=2:64 OMNIMOE_GEMV_RANGE_ROUND=1";; 8) echo OMNIMOE_GEMV_RANGE_ROUND=1;; esac; }
for i in 16384 8192; do
  for t in 5 6 7 8; do
    run i$i-t$t-new X=1 --tokens $t --intermediate $i
    run i$i-t$t-old "$(old $t)" --tokens $t --intermediate $i
  done
  run i$i-t4-new X=1 --tokens 4 --intermediate $i
  run i$i-t4-n4 OMNIMOE_GEMV_NARROW=4:64 --tokens 4 --intermediate $i
done
run i16384-t3-new X=1 --tokens 3 --intermediate 16384
run i16384-t3-n4 OMNIMOE_GEMV_NARROW=4:64 --tokens 3 --intermediate 16384
run i32768-t6-new X=1 --tokens 6 --intermediate 32768
run i32768-t6-old "$(old 6)" --tokens 6 --intermediate 32768
run i32768-t7-new X=1 --tokens 7 --intermediate 32768
run i4096-t5-new X=1 --tokens 5 --intermediate 4096
run i4096-t8-new X=1 --tokens 8 --intermediate 4096
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
b sweep ./omnimoe-i bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
