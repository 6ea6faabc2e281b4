#!/bin/bash
# Forty-first session: the GEMV on 8 lanes a column (OMNIMOE_GEMV_LANES=8, the LANES8 build: twice the
# chunks a lane, half the lane sums a column to add), beside the default lanes, 5-8 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-o; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r440; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r440.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-o bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 16384:8 16384:7 16384:6 16384:5 8192:8 4096:8; do
  i=${s%:*}; t=${s#*:}
  for a in BASE=1 OMNIMOE_GEMV_LANES=8; do
    run i$i-t$t-${a%%=*} "$a" --tokens $t --intermediate $i
  done
done
run i16384-t8-L8Q1 "OMNIMOE_GEMV_LANES=8 OMNIMOE_GEMV_QUAD=1" --tokens 8 --intermediate 16384
run i16384-t8-L32 "OMNIMOE_GEMV_LANES=32" --tokens 8 --intermediate 16384
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
r=' '.join('%.2f' % (x.get('ms',0)*1e3) for x in d.get('read_stream',[]))
print('%-40s %.4f %.4f  %s  %s | read %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g, r))"; done
