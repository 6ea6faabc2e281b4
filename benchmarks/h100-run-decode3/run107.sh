#!/bin/bash
# Final H100 run of the session (c7b7606): the touched GPU tests, then the final build against base (addd6fb,
# the previous session's last), interleaved: README config f16 and f32 (stack of 4), the token sweep.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base0 omnimoe-final gpu_stages gpu_layer gpu_prepared gpu_limits; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r107; mkdir -p $R; L=$R/log.txt
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >> $L
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_layer gpu_prepared gpu_limits gpu_stages; do b "test $x" ./$x --test-threads 4; done
b "final f16" ./omnimoe-final bench --dtype f16 --layers 4 --runs 20 --json $R/h100-f16.json
b "base f16" ./omnimoe-base0 bench --dtype f16 --layers 4 --runs 20 --json $R/base-f16.json
b "final f32" ./omnimoe-final bench --dtype f32 --layers 4 --runs 20 --json $R/h100-f32.json
b "base f32" ./omnimoe-base0 bench --dtype f32 --layers 4 --runs 20 --json $R/base-f32.json
b "final sweep" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/h100-tokens-f16.json
b "base sweep" ./omnimoe-base0 bench --dtype f16 --sweep tokens --runs 20 --json $R/base-tokens-f16.json
tar -C $R -czf $OUT/r107.tgz .
grep -E "^(==|rc=|NVIDIA|test result|panicked|layer|stack|dense_|router_topk|expert_token)" $L | cut -c1-200
for f in $R/*tokens*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print('   wall', ' '.join('%d:%.4f'%(p['tokens'],p['layer_wall_ms']) for p in d['sweep']))
print('   spin', ' '.join('%d:%.4f'%(p['tokens'],p.get('layer_wall_spin_ms') or 0) for p in d['sweep']))
"; done
