#!/bin/bash
# Thirty-second session, the H200 taken apart (the committed build, 0a70969): the kernel that only reads
# at 256 .. 16384 words a workgroup on the README's weights (T = 32) and I = 16384's (the ceiling a
# weight-streaming kernel has here); each stage of a stack of 8 in a timed pass of its own at 1, 16, 64
# and 256 tokens (run298's on the H100); wide layers per layer of a stack of 4.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r380; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r380.tgz .; }
for w in 256 512 1024 2048 4096 8192 16384; do
  b "read $w" env OMNIMOE_READ_PER_WG=$w ./omnimoe-f bench --dtype f16 --tokens 32 --runs 10 --no-autotune --json $R/m/read-$w.json
  b "read $w wide" env OMNIMOE_READ_PER_WG=$w ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --runs 10 --no-autotune --json $R/m/read-$w-wide.json
done
for t in 1 16 64 256; do
  b "stages T=$t" env OMNIMOE_STACK_STAGES=1 ./omnimoe-f bench --dtype f16 --layers 8 --tokens $t --no-autotune --json $R/m/st-t$t.json
done
for t in 1 16 64; do
  b "I=16384 T=$t" ./omnimoe-f bench --dtype f16 --intermediate 16384 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/i16384-t$t.json
done
b "H=2048 I=8192 T=64" ./omnimoe-f bench --dtype f16 --hidden 2048 --intermediate 8192 --tokens 64 --layers 4 --runs 20 --no-autotune --json $R/m/h2048-t64.json
grep -E "^(== |rc=[1-9]|panicked|stack stage|stack of|  [a-z_]+ +[0-9])" $L | cut -c1-160
for f in $R/m/read-*.json; do python3 -c "
import json; d=json.load(open('$f')); print('$(basename $f .json)', 'floor %.2f' % (d['read_floor_ms']*1e3), ' '.join('%s %.1f MB read %.2f us (gemm %.2f)' % (r['gemm'], r['bytes']/1e6, r['ms']*1e3, g['ms']*1e3) for r, g in zip(d['read_stream'], d['gemm_stream'])))"; done
for f in $R/m/i16384-*.json $R/m/h2048-*.json; do echo "$(basename $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
