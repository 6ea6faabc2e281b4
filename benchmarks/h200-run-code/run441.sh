#!/bin/bash
# Forty-first session, timing probe (gemv_bits_probe.diff, OMNIMOE_GEMV_BITS=a|b|ab): the GEMV's halves of
# A, of B or of both made f32 by their bits (shifts and masks, then a multiply by 2^112: exact for normal
# halves and zeros) instead of unpack2x16float: is the 8-row gate/up GEMV bound by its conversions?
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r441; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r441.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-p bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for a in BASE=1 OMNIMOE_GEMV_BITS=a OMNIMOE_GEMV_BITS=b OMNIMOE_GEMV_BITS=ab; do
  run i16384-t8-${a#*=} "$a" --tokens 8 --intermediate 16384
done
for s in 16384:5 16384:3 16384:1 4096:8; do
  i=${s%:*}; t=${s#*:}
  for a in BASE=1 OMNIMOE_GEMV_BITS=ab; do
    run i$i-t$t-${a#*=} "$a" --tokens $t --intermediate $i
  done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
r=' '.join('%.2f' % (x.get('ms',0)*1e3) for x in d.get('read_stream',[]))
print('%-40s %.4f %.4f  %s  %s | read %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g, r))"; done
