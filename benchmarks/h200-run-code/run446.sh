#!/bin/bash
# Forty-first session, probe (skinny_subgroups.diff, OMNIMOE_SKINNY_SG=6|8, OMNIMOE_SKINNY_STEP32): the
# skinny kernel on 6 subgroups a workgroup (192 columns, 44 KiB at 64 k a step) or 8 (256 columns, 37 KiB
# at 32 k a step), one workgroup an SM either way: more subgroups and bytes in flight an SM with A staged.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r446; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r446.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-t bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 16384:16 32768:16 8192:16 4096:16; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-base "BASE=1" --tokens $t --intermediate $i
  run i$i-t$t-sg6 "OMNIMOE_SKINNY_SG=6" --tokens $t --intermediate $i
  run i$i-t$t-s32 "OMNIMOE_SKINNY_STEP32=1" --tokens $t --intermediate $i
  run i$i-t$t-s32sg8 "OMNIMOE_SKINNY_STEP32=1 OMNIMOE_SKINNY_SG=8" --tokens $t --intermediate $i
done
run i4096-t16-sg6-w2 "OMNIMOE_SKINNY_SG=6 OMNIMOE_SKINNY_WGS=64" --tokens 16 --intermediate 4096
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
r=' '.join('%.2f' % (x.get('ms',0)*1e3) for x in d.get('read_stream',[]))
print('%-40s %.4f %.4f  %s  %s | read %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g, r))"; done
