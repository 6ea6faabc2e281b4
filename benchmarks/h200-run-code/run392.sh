#!/bin/bash
# Thirty-third session: the expert dots' loads through one helper (a quad of chunks) and PRE_V's columns
# a round shared with the loop (omnimoe-m; the same sums, no new loads). gpu_stages, gpu_layer,
# gpu_prepared; one token per layer of 8 (with and without OMNIMOE_RE_LATE), 16 tokens per layer of 4
# (expert_token's dots), two rounds; a stack of 8's stages at one token.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-m gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r392; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r392.tgz .; }
for t in gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
B="./omnimoe-m bench --runs 30 --no-autotune --dtype f16"
for round in 1 2; do
  b "L8 T=1" $B --tokens 1 --layers 8 --json $R/m/l8-t1-$round.json
  b "L8 T=1 late" env OMNIMOE_RE_LATE=1 $B --tokens 1 --layers 8 --json $R/m/l8-t1-late-$round.json
  b "L4 T=16" $B --tokens 16 --layers 4 --json $R/m/l4-t16-$round.json
done
b "stages" env OMNIMOE_STACK_STAGES=1 $B --tokens 1 --layers 8 --json $R/m/stages-l8-t1.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
grep "stack stage" $L | cut -c1-160
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
