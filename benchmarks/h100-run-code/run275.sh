#!/bin/bash
# Twenty-first session, the final build: `run` submits the forward it encoded ahead (after the previous
# forward's submit), and the bench keeps off the GPU's interrupt CPUs. gpu_prepared; one token sweep with
# stacks of 4; one token through stacks of 4 and 8, 16 tokens through a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_prepared omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r275; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_prepared" ./gpu_prepared --test-threads 4
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
for l in 4 8; do b "L=$l" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l.json; done
b "T=16" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/t16.json
tar -C $R -czf $OUT/r275.tgz .
grep -E "^(rc=[1-9]|panicked|thread|keeping|test result)" $L | cut -c1-220
for f in $R/l*.json $R/t16.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-10s %s layer %.4f wall %.4f spin %.4f empty %.4f/%.4f | stack/layer %.4f'%('$f'.split('/')[-1], d.get('cpus_allowed'), d['layer_ms'], d['layer_wall_ms'], d['layer_wall_spin_ms'], d['empty_submit_ms'], d['empty_submit_spin_ms'], s['gpu_ms_per_layer']))
"; done
for s in tokens-f16; do python3 -c "
import json
d=json.load(open('$R/$s.json'))
print('$s', d.get('cpus_allowed'))
for p in d['sweep']:
  print('%5d gpu %.4f stack %.4f wall %.4f (-gpu %.4f) spin %.4f (-gpu %.4f) empty %.4f/%.4f enc %.4f' % (p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer'], p['layer_wall_ms'], p['layer_wall_ms'] - p['layer_ms'], p['layer_wall_spin_ms'], p['layer_wall_spin_ms'] - p['layer_ms'], p['empty_submit_ms'], p['empty_submit_spin_ms'], p['host_encode_ms']))
"; done
