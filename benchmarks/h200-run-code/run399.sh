#!/bin/bash
# Thirty-fourth session, the final build (omnimoe-t, a62f95e: PAIR; the one-column round without row 0's
# explicit loads; the GEMV to 8 tokens from 32768 gate/up columns): the four GPU test binaries; per layer
# of a stack of 4 at 1, 2, 4, 5 tokens; I = 16384 at 6, 7, 8 (the GEMV now) beside OMNIMOE_SKINNY=all
# (the skinny kernel, as before); one token per layer of 8, f16 at I = 16384 and f32; the token sweep
# (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r399; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r399.tgz .; }
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
for t in 1 2 4 5; do
  b "T=$t" ./omnimoe-t bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/t$t.json
done
for t in 6 7 8; do
  b "I=16384 T=$t" ./omnimoe-t bench --dtype f16 --tokens $t --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t$t.json
  b "I=16384 T=$t skinny" env OMNIMOE_SKINNY=all ./omnimoe-t bench --dtype f16 --tokens $t --intermediate 16384 --layers 4 --runs 30 --no-autotune --json $R/m/i16384-t$t-skinny.json
done
B="./omnimoe-t bench --runs 30 --no-autotune --tokens 1"
b "L8" $B --dtype f16 --layers 8 --json $R/m/l8.json
b "I=16384" $B --dtype f16 --layers 4 --intermediate 16384 --json $R/m/i16384.json
b "f32" $B --dtype f32 --layers 4 --json $R/m/f32.json
b "sweep" ./omnimoe-t bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-22s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
python3 -c "
import json; d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']: print(p['tokens'], p['layer_ms'], p['layer_wall_spin_ms'], (p.get('stack') or {}).get('gpu_ms_per_layer'), p.get('error'))" 2>&1 | head -20
