#!/bin/bash
# Thirty-eighth session (omnimoe-l: c04845d plus the OMNIMOE_GEMV_NARROW aid): (1) the gate/up GEMV at
# 8 rows on four columns (OMNIMOE_GEMV_QUAD=2) for the README's layer and I = 8192, two rounds; (2) the
# narrow (down) GEMV on two or four columns a group in more K ranges, so that A's rows load once for
# several columns while the workgroups stay (OMNIMOE_GEMV_SPLIT=S OMNIMOE_GEMV_NARROW=group:lanes).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-l; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r420; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r420.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-l bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for r in 1 2; do
  for i in 4096 8192; do
    run q-i$i-t8-base-r$r X=1 --tokens 8 --intermediate $i
    run q-i$i-t8-quad-r$r OMNIMOE_GEMV_QUAD=2 --tokens 8 --intermediate $i
  done
done
for s in 4096:4 4096:8 8192:6 16384:4 16384:8; do
  i=${s%:*}; t=${s#*:}
  for c in base:X=1 s8q64:"OMNIMOE_GEMV_SPLIT=8 OMNIMOE_GEMV_NARROW=4:64" s4q64:"OMNIMOE_GEMV_SPLIT=4 OMNIMOE_GEMV_NARROW=4:64" \
      s4p64:"OMNIMOE_GEMV_SPLIT=4 OMNIMOE_GEMV_NARROW=2:64" s8p64:"OMNIMOE_GEMV_SPLIT=8 OMNIMOE_GEMV_NARROW=2:64" \
      s16q32:"OMNIMOE_GEMV_SPLIT=16 OMNIMOE_GEMV_NARROW=4:32"; do
    run n-i$i-t$t-${c%%:*} "${c#*:}" --tokens $t --intermediate $i
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
