#!/bin/bash
# Thirty-eighth session (omnimoe-m: bc45ca5, as run421): the deep narrow GEMV at 5 rows (slower than two
# ranges of one column in run421 at I = 16384): the rule (two columns on 64 lanes) against
# OMNIMOE_GEMV_NARROW=off, four columns (4:64) and two on 32 lanes (2:32), two rounds; gpu_stages.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-m gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r422; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r422.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-m bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for r in 1 2; do
  for c in rule:X=1 off:OMNIMOE_GEMV_NARROW=off q64:OMNIMOE_GEMV_NARROW=4:64 p32:OMNIMOE_GEMV_NARROW=2:32; do
    run i16384-t5-${c%%:*}-r$r "${c#*:}" --tokens 5 --intermediate 16384
  done
  for c in rule:X=1 off:OMNIMOE_GEMV_NARROW=off q64:OMNIMOE_GEMV_NARROW=4:64; do
    run i8192-t5-${c%%:*}-r$r "${c#*:}" --tokens 5 --intermediate 8192
  done
done
run i32768-t5-rule X=1 --tokens 5 --intermediate 32768
run i32768-t5-off OMNIMOE_GEMV_NARROW=off --tokens 5 --intermediate 32768
b gpu_stages ./gpu_stages --test-threads 4
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
