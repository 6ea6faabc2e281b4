#!/bin/bash
# The skinny kernel with 64 columns a workgroup (COLS64, OMNIMOE_SKINNY_COLS=64) against 128: GPU tests with
# it, token sweeps with a stack of 4 distinct layers, interleaved; then a tiny layer's sweep (the floor of a
# dependent dispatch: GEMMs of 64-128 KB of weights).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-c64 gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r182; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_gemm gpu_layer; do b "test $x cols64" env OMNIMOE_SKINNY_COLS=64 ./$x --test-threads 4; done
B="./omnimoe-c64 bench --dtype f16 --sweep tokens --layers 4 --runs 20"
b "sweep 128 a" $B --json $R/tokens-128a.json
b "sweep 64 a" env OMNIMOE_SKINNY_COLS=64 $B --json $R/tokens-64a.json
b "sweep 128 b" $B --json $R/tokens-128b.json
b "sweep 64 b" env OMNIMOE_SKINNY_COLS=64 $B --json $R/tokens-64b.json
b "tiny" ./omnimoe-c64 bench --dtype f16 --sweep tokens --hidden 128 --intermediate 256 --experts 1024 --top-k 4 --runs 20 --json $R/tiny.json
tar -C $R -czf $OUT/r182.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json $R/tiny.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(16), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' stack/layer    ', ' '.join('%d:%.4f'%(p['tokens'],p['stack']['gpu_ms_per_layer']) for p in d['sweep'] if p.get('stack')))
print(' stream         ', ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
"; done
