#!/bin/bash
# Forty-second session: the skinny kernel's subgroups stream blocks of 32 columns one after another
# (every build: the loop of run454's probe), and six or eight subgroups run on at most 132 workgroups in
# all (omnimoe-q), beside eb7fdb3 (omnimoe-v); gpu_gemm, gpu_layer and gpu_prepared on it first.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-v omnimoe-q gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r455; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r455.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; x=$2; shift 2; b $n ./omnimoe-$x bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json "$@"; }
bench warmup q --tokens 16 --intermediate 16384
for s in 16384:16 16384:12 16384:9 4096:16 4096:12 4096:9 6144:16 8192:16 10240:16 12288:16 32768:16; do
  i=${s%:*}; t=${s#*:}
  for x in v q; do bench i$i-t$t-$x $x --tokens $t --intermediate $i; done
done
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
