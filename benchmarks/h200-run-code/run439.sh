#!/bin/bash
# Forty-first session, timing probe (skinny_slab_probe.diff): the skinny kernel's weights addressed as if
# laid out in K blocks one step deep (each subgroup's step one contiguous run of 4 KB instead of 128 bytes
# from each of 32 rows), beside the kernel as it is. Wrong sums with the probe: timing only.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-n; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r439; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r439.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-n bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:16 16384:16 16384:12 8192:16 16384:8; do
  i=${s%:*}; t=${s#*:}
  for a in BASE=1 OMNIMOE_SKINNY_SLAB_PROBE=1; do
    run i$i-t$t-${a%%=*} "OMNIMOE_SKINNY=all $a" --tokens $t --intermediate $i
  done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
r=' '.join('%.2f' % (x.get('ms',0)*1e3) for x in d.get('read_stream',[]))
print('%-40s %.4f %.4f  %s  %s | read %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g, r))"; done
