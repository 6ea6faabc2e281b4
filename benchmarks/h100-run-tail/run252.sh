#!/bin/bash
# The final build (299a55c): all four GPU test binaries; the token sweep with stacks of 4; one token through
# stacks of 4 and 8 by the decode chain ending in its sum pass (default), ending in the three-pass tail
# (OMNIMOE_NO_CHAIN_SUM=1) and by three passes (OMNIMOE_NO_DECODE_CHAIN=1), f16 two rounds interleaved,
# f32 one; each stage of a stack of 8 at one token timed alone; the SM clock sampled every 50 ms
# throughout the benches (clocks.csv).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_gemm gpu_layer gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r252; mkdir -p $R; L=$R/log.txt
b() { echo "== $1 $(date +%T.%N | cut -c1-12)" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
for x in gpu_stages gpu_gemm gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,utilization.gpu --format=csv -lms 50 > $R/clocks.csv 2>&1 &
SMI=$!
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
for r in 1 2; do for l in 4 8; do
b "L=$l sum $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-sum-$r.json
OMNIMOE_NO_CHAIN_SUM=1 b "L=$l tail $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-tail-$r.json
OMNIMOE_NO_DECODE_CHAIN=1 b "L=$l three $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-three-$r.json
done; done
b "f32 L=4 sum" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-sum.json
OMNIMOE_NO_DECODE_CHAIN=1 b "f32 L=4 three" ./omnimoe-f bench --dtype f32 --tokens 1 --layers 4 --json $R/f32-l4-three.json
OMNIMOE_STACK_STAGES=1 b "stages L=8" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 8
kill $SMI
tar -C $R -czf $OUT/r252.tgz .
grep -E "^(==|rc=|test result|panicked|thread|stack stage|minimal|NVIDIA)" $L | grep -v "^== L=\|^rc=0 [0-9]s" | cut -c1-200
for f in $R/l*.json $R/f32*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-18s layer %.4f  stack/layer %.4f wall/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], s['gpu_ms_per_layer'], s['wall_ms_per_layer']))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
print(' '.join('%d:%.4f/%.4f'%(p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer']) for p in d['sweep']))
"
python3 - <<'P'
import csv, statistics
rows = list(csv.reader(open('/tmp/r252/clocks.csv')))[1:]
sm = [int(r[1].split()[0]) for r in rows if len(r) > 2 and r[1].strip().split()[0].isdigit()]
print('SM clock samples', len(sm), 'min', min(sm), 'median', statistics.median(sm), 'max', max(sm))
P
