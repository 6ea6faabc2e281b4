#!/bin/bash
# Thirty-fifth session, the FMA build (omnimoe-g: every GEMV's rows sum each chunk one fma at a time):
# the four GPU test binaries; beside OMNIMOE_GEMV_FMA=off (the sums as before) in the same run, one round
# each, off first: per layer of a stack of 4 at 1–5 tokens, f32 at 1 and 4, I = 16384 at 1, 5 and 8, one
# token in a stack of 8; then the token sweep (h200-tokens-f16.json).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-g gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r404; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r404.tgz .; return $rc; }
P() { name=$1; shift; for w in off fma; do e=X=1; [ $w = off ] && e=OMNIMOE_GEMV_FMA=off; b "$name-$w" env $e ./omnimoe-g bench --runs 30 --no-autotune --json $R/m/$name-$w.json "$@"; done; }
for t in gpu_gemm gpu_layer gpu_prepared gpu_stages; do b "test $t" ./$t --test-threads 4; done
for t in 1 2 3 4 5; do P t$t --dtype f16 --layers 4 --tokens $t; done
for t in 1 4; do P f32-t$t --dtype f32 --layers 4 --tokens $t; done
for t in 1 5 8; do P i16384-t$t --dtype f16 --layers 4 --tokens $t --intermediate 16384; done
P l8 --dtype f16 --layers 8 --tokens 1
b "sweep" ./omnimoe-g bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
grep -E "^(==|rc=|test result)" $L | grep -E "test|rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-18s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
python3 -c "
import json; d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']: print(p['tokens'], p['layer_ms'], p['layer_wall_spin_ms'], (p.get('stack') or {}).get('gpu_ms_per_layer'), p.get('error'))" 2>&1 | head -20
