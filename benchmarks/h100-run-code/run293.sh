#!/bin/bash
# Twenty-third session: the GEMV at about four chunks a lane (`gemv_lanes`: chunks / 4 rounded up to a
# power of two, 16 to 64; it was chunks / 8): the gate/up GEMV's 128 chunks on 32 lanes (run292: 11.2 →
# 10.8 µs with 32 fixed), the down projection's 512 still on 64; f32's gate/up 256 chunks on 64 instead
# of 32. omnimoe-f (the change) beside omnimoe-b (HEAD bc1cd39), one token, stacks of 4 and 8, f16 and
# f32, two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-b omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r293; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r293.tgz .; }
for r in 1 2; do for w in b f; do
  b "f16 L4 $w" ./omnimoe-$w bench --dtype f16 --layers 4 --tokens 1 --no-autotune --json $R/f16-l4-$w-$r.json
  b "f16 L8 $w" ./omnimoe-$w bench --dtype f16 --layers 8 --tokens 1 --no-autotune --json $R/f16-l8-$w-$r.json
  b "f32 L4 $w" ./omnimoe-$w bench --dtype f32 --layers 4 --tokens 1 --no-autotune --json $R/f32-l4-$w-$r.json
done; done
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d.get('stack') or {}
g=' | '.join('%s %.2f' % (x['gemm'], x['ms']*1000) for x in d.get('gemm_stream', []))
print('%-16s layer %.4f stack/layer %.4f | %s' % ('$f'.split('/')[-1], d['layer_ms'], s.get('gpu_ms_per_layer', 0), g))
"; done | sort
