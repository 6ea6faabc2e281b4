#!/bin/bash
# Forty-first session, timing probe (skinny_a_global_pad.diff: skinny_a_global.diff plus AG_PAD): the
# skinny kernel with A's fragments from memory (18 KiB: two workgroups an SM) beside the same code with
# 8 KiB more workgroup memory (26 KiB: one an SM): what twice the subgroups (and bytes in flight) an SM
# are worth, the code the same.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r445; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r445.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-s bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 16384:16 32768:16 8192:16; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-base "BASE=1" --tokens $t --intermediate $i
  run i$i-t$t-ag "OMNIMOE_SKINNY_A_GLOBAL=1" --tokens $t --intermediate $i
  run i$i-t$t-ag-pad "OMNIMOE_SKINNY_A_GLOBAL=1 OMNIMOE_SKINNY_AG_PAD=1" --tokens $t --intermediate $i
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
r=' '.join('%.2f' % (x.get('ms',0)*1e3) for x in d.get('read_stream',[]))
print('%-40s %.4f %.4f  %s  %s | read %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g, r))"; done
