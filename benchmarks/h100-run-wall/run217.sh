#!/bin/bash
# Wall time floors: the token sweep (f16, README weights) with the default timer slack (50 µs) and with
# OMNIMOE_TIMER_SLACK_NS=1 (prctl PR_SET_TIMERSLACK before the device is made), two rounds interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-w; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r217; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
nproc >> $L; uname -r >> $L; cat /proc/self/timerslack_ns >> $L
for r in 1 2; do
b "default $r" ./omnimoe-w bench --dtype f16 --sweep tokens --json $R/tok-def-$r.json
OMNIMOE_TIMER_SLACK_NS=1 b "slack1 $r" ./omnimoe-w bench --dtype f16 --sweep tokens --json $R/tok-s1-$r.json
done
tar -C $R -czf $OUT/r217.tgz .
grep -E "^(==|rc=|timer)" $L | cut -c1-160
for f in $R/tok*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1])
for p in d['sweep']:
    print('  T=%-5d gpu %.4f wall %.4f spin %.4f empty %.4f / %.4f'%(p['tokens'], p['layer_ms'], p.get('layer_wall_ms',0), p.get('layer_wall_spin_ms',0), p.get('empty_submit_ms',0), p.get('empty_submit_spin_ms',0)))
"; done
