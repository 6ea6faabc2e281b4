#!/bin/bash
# Forty-first session, timing probe (skinny_a_global.diff, OMNIMOE_SKINNY_A_GLOBAL=1): the skinny kernel at
# 16 rows with A's fragments loaded from the storage buffer instead of staged (18 KiB of workgroup memory:
# two workgroups an SM), a GEMM of K <= 1024 in one K range where it has 128 column workgroups.
# Rows past M read past A (16 tokens only here).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-q; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r442; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r442.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-q bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 16384:16 4096:16 8192:16 32768:16; do
  i=${s%:*}; t=${s#*:}
  for a in BASE=1 OMNIMOE_SKINNY_A_GLOBAL=1; do
    run i$i-t$t-${a%%=*} "$a" --tokens $t --intermediate $i
  done
done
run i16384-t16-AG-WGS512 "OMNIMOE_SKINNY_A_GLOBAL=1 OMNIMOE_SKINNY_WGS=512" --tokens 16 --intermediate 16384
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
r=' '.join('%.2f' % (x.get('ms',0)*1e3) for x in d.get('read_stream',[]))
print('%-40s %.4f %.4f  %s  %s | read %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g, r))"; done
