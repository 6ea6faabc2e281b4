#!/bin/bash
# Thirty-ninth session (omnimoe-q: the QUAD GEMV's lane sums two blocks at a time, reduce_halves) against
# omnimoe-p (60f1d15 as built), two rounds at 8 tokens, one elsewhere; the GPU tests of the final code;
# the token sweep (gpu_layer, gpu_prepared and gpu_stages left out: the carry's 64 MiB).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p omnimoe-q gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r427; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r427.tgz .; return $rc; }
run() { name=$1; bin=$2; shift 2; b "$name" ./$bin bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for round in 1 2; do
  for s in 4096:8 8192:8 16384:8 32768:8 2048:8; do
    i=${s%:*}; t=${s#*:}
    run i$i-t$t-old$round omnimoe-p --tokens $t --intermediate $i
    run i$i-t$t-new$round omnimoe-q --tokens $t --intermediate $i
  done
done
for s in 4096:6 16384:6 16384:4; do
  i=${s%:*}; t=${s#*:}
  run i$i-t$t-old omnimoe-p --tokens $t --intermediate $i
  run i$i-t$t-new omnimoe-q --tokens $t --intermediate $i
done
b gpu_gemm ./gpu_gemm --test-threads 4
b sweep ./omnimoe-q bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
