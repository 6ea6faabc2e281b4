#!/bin/bash
# Twenty-first session: run270 found the GPU's interrupts all on one CPU (14) and the polled floor slow
# in six benches of six pinned (taskset) to that CPU, fast in six of six pinned elsewhere. wait_spin now
# yields the core between polls (sched_yield) instead of spinning with the pause hint
# (`OMNIMOE_SPIN_HINT=1` the old way). One-token benches, four rounds interleaved: pinned to the
# interrupts' CPU and unpinned, each way; pinned elsewhere yielding. Then two token sweeps yielding.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r271; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
grep nvidia /proc/interrupts > $R/irq0.txt
b "irq probe" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4
grep nvidia /proc/interrupts > $R/irq1.txt
C=$(python3 -c "
def rows(f):
    return {l.split()[0]: [int(x) for x in l.split()[1:17]] for l in open(f)}
a, b = rows('$R/irq0.txt'), rows('$R/irq1.txt')
d = [sum(b[k][c] - a[k][c] for k in b) for c in range(16)]
print(max(range(16), key=lambda c: d[c]))
open('$R/irq-delta.txt', 'w').write(' '.join(map(str, d)) + '\n')
")
O=$(( (C + 8) % 16 )); echo "irq cpu $C other $O" >> $R/irq-delta.txt
for r in 1 2 3 4; do
  OMNIMOE_SPIN_HINT=1 b "on-hint $r" taskset -c $C ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/on-hint-$r.json
  b "on-yield $r" taskset -c $C ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/on-yield-$r.json
  OMNIMOE_SPIN_HINT=1 b "plain-hint $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/plain-hint-$r.json
  b "plain-yield $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/plain-yield-$r.json
  b "off-yield $r" taskset -c $O ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/off-yield-$r.json
done
for s in 1 2; do b "sweep $s" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16-$s.json; done
tar -C $R -czf $OUT/r271.tgz .
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
cat $R/irq-delta.txt
for f in $R/on-*.json $R/plain-*.json $R/off-*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-16s layer %.4f wall %.4f spin %.4f empty %.4f/%.4f enc %.4f sub %.4f | stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], d['layer_wall_ms'], d['layer_wall_spin_ms'], d['empty_submit_ms'], d['empty_submit_spin_ms'], d['host_encode_ms'], d['host_submit_ms'], s['gpu_ms_per_layer']))
"; done
for s in 1 2; do python3 -c "
import json
d=json.load(open('$R/tokens-f16-$s.json'))
for p in d['sweep']:
  print('%5d gpu %.4f stack %.4f wall %.4f spin %.4f (-gpu %.4f) empty %.4f/%.4f' % (p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer'], p['layer_wall_ms'], p['layer_wall_spin_ms'], p['layer_wall_spin_ms'] - p['layer_ms'], p['empty_submit_ms'], p['empty_submit_spin_ms']))
"; done
