#!/bin/bash
# Twenty-third session. (1) gpu_stages and gpu_prepared with the HEAD build (21fa2f6; last run with
# run278's build). (2) Weights read ahead into L2 (prototype, `OMNIMOE_PREFETCH`: n = the next layer's
# gate/up weights beside a layer's last pass, d = a layer's own down weights beside its gate/up GEMV):
# omnimoe-f with the prototype beside omnimoe-b (HEAD), stacks of 4 and 8 at 1, 16 and 64 tokens.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r284; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r284.tgz .; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv >> $L
b "test gpu_stages" ./gpu_stages --test-threads 4
b "test gpu_prepared" ./gpu_prepared --test-threads 4
for r in 1 2; do for tk in 1 16 64; do for w in b n nd; do
  if [ $w = b ]; then bin=./omnimoe-b; pf=; else bin=./omnimoe-f; pf=$w; fi
  b "T=$tk $w L4" env OMNIMOE_PREFETCH=$pf $bin bench --dtype f16 --layers 4 --tokens $tk --no-autotune --json $R/t$tk-$w-$r.json
done; done; done
for w in b n nd; do
  if [ $w = b ]; then bin=./omnimoe-b; pf=; else bin=./omnimoe-f; pf=$w; fi
  b "T=1 $w L8" env OMNIMOE_PREFETCH=$pf $bin bench --dtype f16 --layers 8 --tokens 1 --no-autotune --json $R/l8-t1-$w.json
done
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== T=\|^rc=0 [0-9]*s" | cut -c1-220
for f in $R/t*-[0-9].json $R/l8*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
print('%-14s layer %.4f stack/layer %.4f wall/layer %.4f' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), s.get('wall_ms_per_layer', 0)))
"; done
