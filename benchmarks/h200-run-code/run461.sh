#!/bin/bash
# Forty-third session, timing only (omnimoe-t, no aid of its own set): the GEMV's lanes a column
# forced (OMNIMOE_GEMV_LANES, every GEMV of the layer) at widths whose gate/up GEMV's workgroups fill
# rounds of 264 (two an SM) badly: I = 12288 (quad at 16 lanes: 384 workgroups, 1.45 rounds), 10240
# (320, 1.21), 6144 (32 lanes: 384). The question: whether the gate/up GEMV's time follows its rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r461; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 120 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r461.tgz .; return $rc; }
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-t bench --tokens 8 --intermediate 12288
for i in 12288 10240 6144; do
  for t in 8 6; do
    bench i$i-t$t-auto A=1 ./omnimoe-t bench --tokens $t --intermediate $i
    for l in 16 32 64; do
      bench i$i-t$t-l$l OMNIMOE_GEMV_LANES=$l ./omnimoe-t bench --tokens $t --intermediate $i
    done
  done
done
for t in 1 3; do
  bench i12288-t$t-auto A=1 ./omnimoe-t bench --tokens $t --intermediate 12288
  for l in 16 32 64; do
    bench i12288-t$t-l$l OMNIMOE_GEMV_LANES=$l ./omnimoe-t bench --tokens $t --intermediate 12288
  done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
