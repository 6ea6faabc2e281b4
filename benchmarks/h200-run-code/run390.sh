#!/bin/bash
# Thirty-third session: router_experts at one token (omnimoe-k). OMNIMOE_RE_PRE_V: its first round of V
# requested before the expert weights; OMNIMOE_RE_DOT8: the expert dots eight loads a round (both the
# same bits). gpu_stages' router tests, gpu_layer and gpu_prepared with both set; per layer at one token
# (stacks of 4 and 8, I = 16384) with neither, each and both, two rounds; a stack of 8's stages.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-k gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r390; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r390.tgz .; }
E="OMNIMOE_RE_PRE_V=1 OMNIMOE_RE_DOT8=1"
b "test gpu_stages router" env $E ./gpu_stages --test-threads 4 router
b "test gpu_layer" env $E ./gpu_layer --test-threads 4
b "test gpu_prepared" env $E ./gpu_prepared --test-threads 4
B="./omnimoe-k bench --runs 30 --no-autotune --dtype f16 --tokens 1"
for round in 1 2; do
  for v in base pre dot8 both; do
    case $v in base) e="";; pre) e="OMNIMOE_RE_PRE_V=1";; dot8) e="OMNIMOE_RE_DOT8=1";; both) e="$E";; esac
    b "L4 $v" env $e $B --layers 4 --json $R/m/l4-$v-$round.json
    b "L8 $v" env $e $B --layers 8 --json $R/m/l8-$v-$round.json
    b "I=16384 $v" env $e $B --layers 4 --intermediate 16384 --json $R/m/i16384-$v-$round.json
  done
done
for v in base both; do
  e=""; [ $v = both ] && e="$E"
  b "stages $v" env $e OMNIMOE_STACK_STAGES=1 $B --layers 8 --json $R/m/stages-$v.json
done
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
grep -E "^== stages|stack stage" $L | cut -c1-160
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
