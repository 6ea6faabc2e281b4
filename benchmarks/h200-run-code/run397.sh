#!/bin/bash
# Thirty-fourth session, the final build (omnimoe-s, cb9ba52: the GEMV's groups on two columns from 2
# rows where the workgroups stay ≥ 512, rounds of two chunks from 5 rows): the four GPU test binaries;
# per layer of a stack of 4 at 3 and 5 tokens beside OMNIMOE_GEMV_PAIR=off, I = 4096 and 16384; one
# token per layer of 8, f16 at I = 16384 and f32; the token sweep (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-s gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r397; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r397.tgz .; }
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
for i in 4096 16384; do
  for t in 3 5; do
    for mode in pair off; do
      b "I=$i T=$t $mode" env OMNIMOE_GEMV_PAIR=$mode ./omnimoe-s bench --dtype f16 --tokens $t --intermediate $i --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-$mode.json
    done
  done
done
B="./omnimoe-s bench --runs 30 --no-autotune --tokens 1"
b "L8" $B --dtype f16 --layers 8 --json $R/m/l8.json
b "I=16384" $B --dtype f16 --layers 4 --intermediate 16384 --json $R/m/i16384.json
b "f32" $B --dtype f32 --layers 4 --json $R/m/f32.json
b "sweep" ./omnimoe-s bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
python3 -c "
import json; d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']: print(p['tokens'], p['layer_ms'], p['layer_wall_spin_ms'], (p.get('stack') or {}).get('gpu_ms_per_layer'), p.get('error'))" 2>&1 | head -20
