#!/bin/bash
# Forty-third session, probe (skinny_gate8.diff on 711bbdd; omnimoe-u): OMNIMOE_SKINNY_GATE8=R runs the
# gate/up GEMM of R-8 rows on the skinny kernel (as from 9 rows: four, six or eight subgroups by the
# width), the down projection on the GEMV as built. run460 timed the gate/up GEMM alone there
# (OMNIMOE_SKINNY=all); this times the layers. gpu_layer and gpu_prepared with it.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-u gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r462; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 120 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r462.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_layer-gate8 env OMNIMOE_SKINNY_GATE8=5 ./gpu_layer --test-threads 4
b gpu_prepared-gate8 env OMNIMOE_SKINNY_GATE8=5 ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-u bench --tokens 8 --intermediate 16384
for i in 16384 4096 8192 12288 32768; do
  for t in 8 7; do
    bench i$i-t$t-base A=1 ./omnimoe-u bench --tokens $t --intermediate $i
    bench i$i-t$t-g8 OMNIMOE_SKINNY_GATE8=7 ./omnimoe-u bench --tokens $t --intermediate $i
  done
done
bench i16384-t8-base2 A=1 ./omnimoe-u bench --tokens 8 --intermediate 16384
bench i16384-t8-g8b OMNIMOE_SKINNY_GATE8=7 ./omnimoe-u bench --tokens 8 --intermediate 16384
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
