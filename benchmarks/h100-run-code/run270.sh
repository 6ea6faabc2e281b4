#!/bin/bash
# Twenty-first session, the final build (543a324): GPU tests; one token through stacks of 4 and 8 and 16
# tokens through a stack of 4, two rounds; the token sweep with stacks of 4. Then the wall's floor (an
# empty submit, polled): which CPU takes the GPU's interrupts (/proc/interrupts across one bench), and
# one-token benches, six rounds interleaved: unpinned; pinned (taskset) to that CPU; pinned to another;
# pinned to another with a spinning process on the interrupts' CPU.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in gpu_stages gpu_prepared gpu_layer omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r270; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_prepared gpu_layer; do b "test $x" ./$x --test-threads 4; done
for r in 1 2; do
for l in 4 8; do b "L=$l $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers $l --json $R/l$l-$r.json; done
b "T=16 $r" ./omnimoe-f bench --dtype f16 --tokens 16 --layers 4 --json $R/t16-$r.json
done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --json $R/tokens-f16.json
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
O=$(( (C + 8) % 16 ))
{ echo "irq cpu $C other $O"; for i in $(grep nvidia /proc/interrupts | cut -d: -f1); do echo "irq $i affinity $(cat /proc/irq/$i/smp_affinity_list 2>&1)"; done; } >> $R/irq-delta.txt
for r in 1 2 3 4 5 6; do
  b "plain $r" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/plain-$r.json
  b "on $r" taskset -c $C ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/on-$r.json
  b "off $r" taskset -c $O ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/off-$r.json
  taskset -c $C bash -c 'while :; do :; done' & S=$!
  b "offspin $r" taskset -c $O ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/offspin-$r.json
  kill $S; wait $S 2>/dev/null
done
tar -C $R -czf $OUT/r270.tgz .
grep -E "^(==|rc=|test result|panicked|thread)" $L | grep -v "^== \(T=\|L=\|plain\|on\|off\)\|^rc=0 [0-9]s" | cut -c1-220
cat $R/irq-delta.txt
for f in $R/l*.json $R/t16*.json $R/plain*.json $R/on*.json $R/off*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-13s layer %.4f wall %.4f spin %.4f empty %.4f/%.4f enc %.4f sub %.4f | stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], d['layer_wall_ms'], d['layer_wall_spin_ms'], d['empty_submit_ms'], d['empty_submit_spin_ms'], d['host_encode_ms'], d['host_submit_ms'], s['gpu_ms_per_layer']))
"; done
python3 -c "
import json
d=json.load(open('$R/tokens-f16.json'))
for p in d['sweep']:
  print('%5d gpu %.4f stack %.4f wall %.4f spin %.4f empty %.4f/%.4f' % (p['tokens'], p['layer_ms'], p['stack']['gpu_ms_per_layer'], p['layer_wall_ms'], p['layer_wall_spin_ms'], p['empty_submit_ms'], p['empty_submit_spin_ms']))
"
