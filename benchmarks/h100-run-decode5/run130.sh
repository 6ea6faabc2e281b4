#!/bin/bash
# Final build of the STAGED skinny kernel (commit 0ebbe59 + the router's LEAN build behind
# OMNIMOE_ROUTER_LEAN): GPU tests; token sweeps (default twice, OMNIMOE_SKINNY=all once: the skinny kernel
# from 1 token); f16 benches at the README config with and without LEAN interleaved; the f32 bench.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-stg gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r130; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
OMNIMOE_ROUTER_LEAN=1 b "test stages lean" ./gpu_stages --test-threads 4 topk
OMNIMOE_ROUTER_LEAN=1 b "test layer lean" ./gpu_layer --test-threads 4
b "sweep 1" ./omnimoe-stg bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-1.json
OMNIMOE_SKINNY=all b "sweep all" ./omnimoe-stg bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-all.json
b "sweep 2" ./omnimoe-stg bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-2.json
b "f16" ./omnimoe-stg bench --dtype f16 --layers 4 --json $R/f16.json
OMNIMOE_ROUTER_LEAN=1 b "f16 lean" ./omnimoe-stg bench --dtype f16 --json $R/f16-lean.json
b "f16 b" ./omnimoe-stg bench --dtype f16 --json $R/f16-b.json
OMNIMOE_ROUTER_LEAN=1 b "f16 lean b" ./omnimoe-stg bench --dtype f16 --json $R/f16-lean-b.json
b "f32" ./omnimoe-stg bench --dtype f32 --json $R/f32.json
tar -C $R -czf $OUT/r130.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
if d.get('sweep'):
    print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
else:
    print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()}, d.get('router_variants_ms'))
"; done
