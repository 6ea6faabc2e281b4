#!/bin/bash
# Thirty-eighth session (omnimoe-k: c04845d plus the AHEAD builds behind OMNIMOE_GEMV_AHEAD): the GEMV
# with its next round of loads in flight while it adds a round (all / plain / group) against the
# committed build, and the README's gate/up GEMV at 7 and 8 rows on four columns (OMNIMOE_GEMV_QUAD=2),
# per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-k; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r419; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r419.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-k bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for r in 1 2; do
  for s in 4096:1 4096:2 4096:4 4096:6 4096:8 8192:4 8192:8 16384:2 16384:4 16384:8; do
    i=${s%:*}; t=${s#*:}
    run i$i-t$t-base-r$r X=1 --tokens $t --intermediate $i
    run i$i-t$t-ahead-r$r OMNIMOE_GEMV_AHEAD=all --tokens $t --intermediate $i
  done
done
for s in 4096:4 4096:8 16384:4 16384:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-plain OMNIMOE_GEMV_AHEAD=plain --tokens $t --intermediate $i
  run i$i-t$t-group OMNIMOE_GEMV_AHEAD=group --tokens $t --intermediate $i
done
for t in 7 8; do
  run i4096-t$t-quad OMNIMOE_GEMV_QUAD=2 --tokens $t --intermediate 4096
  run i4096-t$t-quad-ahead "OMNIMOE_GEMV_QUAD=2 OMNIMOE_GEMV_AHEAD=all" --tokens $t --intermediate 4096
  run i4096-t$t-base-r3 X=1 --tokens $t --intermediate 4096
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
