#!/bin/bash
# Thirty-ninth session: the GEMV's lane sums for a PAIR or QUAD group's columns all after one barrier
# (omnimoe-r: the candidate; OMNIMOE_GEMV_REDUCE=blocks: a block of COLUMNS at a time as before, on the
# candidate's mapping; =halves: a QUAD group's in two passes) against omnimoe-p (60f1d15 as built: no
# probe set).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p omnimoe-r; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r426; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r426.tgz .; return $rc; }
run() { name=$1; bin=$2; aid=$3; shift 3; b "$name" env $aid ./$bin bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:2 4096:4 4096:6 4096:8 8192:8 16384:4 16384:5 16384:6 16384:7 16384:8 32768:8; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-old omnimoe-p X=1 --tokens $t --intermediate $i
  run i$i-t$t-new omnimoe-r X=1 --tokens $t --intermediate $i
  run i$i-t$t-blocks omnimoe-r OMNIMOE_GEMV_REDUCE=blocks --tokens $t --intermediate $i
  [ $t = 8 ] && run i$i-t$t-halves omnimoe-r OMNIMOE_GEMV_REDUCE=halves --tokens $t --intermediate $i
done
for s in 4096:8 16384:6 16384:7 16384:8 4096:6; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-old2 omnimoe-p X=1 --tokens $t --intermediate $i
  run i$i-t$t-new2 omnimoe-r X=1 --tokens $t --intermediate $i
done
grep -E "^(==|rc=)" $L | grep -E "rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
