#!/bin/bash
# Twenty-first session: the final build's token sweep (543a324 + the bench's `cpus_allowed`) with the
# process kept off the CPU that takes the GPU's interrupts (found by /proc/interrupts across one bench):
# once on every other CPU (taskset -c all but it), once on one other CPU. run270/run271: pinned to that
# CPU the polled floor was slow in 8 benches of 8, pinned elsewhere fast in 16 of 16.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r272; mkdir -p $R; L=$R/log.txt
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
O=$(( (C + 8) % 16 )); REST=$(python3 -c "print(','.join(str(c) for c in range(16) if c != $C))")
echo "irq cpu $C other $O rest $REST" >> $R/irq-delta.txt
b "sweep rest" taskset -c $REST ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16-rest.json
b "sweep one" taskset -c $O ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16-one.json
tar -C $R -czf $OUT/r272.tgz .
grep -E "^(rc=[1-9]|panicked|thread)" $L | cut -c1-220
cat $R/irq-delta.txt
for s in rest one; do python3 -c "
import json
d=json.load(open('$R/tokens-f16-$s.json'))
print('$s', d.get('cpus_allowed'))
for p in d['sweep']:
  print('%5d gpu %.4f stack %.4f wall %.4f spin %.4f (-gpu %.4f) empty %.4f/%.4f' % (p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer'], p['layer_wall_ms'], p['layer_wall_spin_ms'], p['layer_wall_spin_ms'] - p['layer_ms'], p['empty_submit_ms'], p['empty_submit_spin_ms']))
"; done
