#!/bin/bash
# Thirty-second session: A_AHEAD in the f32 GEMV too (K % 4 == 0, VEC4; omnimoe-v4 and its test
# binaries): gpu_gemm, gpu_layer and gpu_prepared, the GEMV proptests at 256 cases; f32 per layer of a
# stack of 4 at one token (README and I = 16384) beside OMNIMOE_NO_GEMV_A_AHEAD, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-v4 gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r383; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r383.tgz .; }
for t in gpu_gemm gpu_layer gpu_prepared; do b "test $t" ./$t --test-threads 4; done
b "gemv proptests, 256 cases" env PROPTEST_CASES=256 ./gpu_gemm gemv --test-threads 4
for round in 1 2; do
  for v in off on; do
    e=""; [ $v = off ] && e="OMNIMOE_NO_GEMV_A_AHEAD=1"
    b "f32 T=1 L4 $v" env $e ./omnimoe-v4 bench --dtype f32 --tokens 1 --layers 4 --runs 30 --no-autotune --json $R/m/f32-t1-$v-$round.json
    b "f32 I=16384 T=1 $v" env $e ./omnimoe-v4 bench --dtype f32 --tokens 1 --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/f32-i16384-t1-$v-$round.json
  done
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]|==" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
