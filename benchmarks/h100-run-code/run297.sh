#!/bin/bash
# Twenty-third session: router_experts in 32 workgroups a token by default (ROUTER_EXPERTS_SLICES; run296
# measured 16 / 32 / 64 through OMNIMOE_RE_SLICES). omnimoe-f (the change) beside omnimoe-b (HEAD 1cbfb65),
# one token, stacks of 4 and 8, three rounds; gpu_stages (router_experts' proptest) and gpu_prepared (the
# decode chain against the plain forward) with the change.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r297; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r297.tgz .; }
for r in 1 2 3; do for w in b f; do for l in 4 8; do
  b "$w L$l" ./omnimoe-$w bench --dtype f16 --layers $l --tokens 1 --no-autotune --json $R/$w-l$l-$r.json
done; done; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_stages" ./gpu_stages --test-threads 4
b "test gpu_prepared" ./gpu_prepared --test-threads 4
grep -E "^(== test|rc=[1-9]|test result|panicked|thread)" $L | cut -c1-220
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
print('%-12s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), {k: round(v*1e3,2) for k, v in d['stages'].items()}))
"; done | sort
