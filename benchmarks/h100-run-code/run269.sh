#!/bin/bash
# Twenty-first session. (1) The wall time's floor: an empty submit, polled, reads 0.017–0.024 ms or
# 0.047–0.057 (two states, earlier sessions). The host's and GPU's state around it: nvidia-smi clocks,
# cpuidle states, the GPU's interrupts counted across one bench (a completion by interrupt would count
# one a submit), and four one-token benches with the other 15 cores idle, then four with them spinning.
# (2) expert_token sliced above 16 tokens (`OMNIMOE_ET_WGS`: slices a token for that many workgroups,
# 1 to 16) at 32, 64, 128 and 256 tokens in a stack of 4, beside the default (one slice above 16).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r269; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 240 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
{ nvidia-smi -q -d PERFORMANCE,CLOCK,POWER; nproc; cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor;
  for s in /sys/devices/system/cpu/cpu0/cpuidle/state*; do echo "$s $(cat $s/name) latency=$(cat $s/latency) disable=$(cat $s/disable)"; done;
  grep -i -E "nvidia|nv" /proc/interrupts | head; } > $R/host.txt 2>&1
irq() { awk 'tolower($0) ~ /nvidia/ {for(i=2;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i} END{print s+0}' /proc/interrupts; }
for i in 1 2 3 4; do a=$(irq); b "idle $i" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/idle-$i.json; echo "irq delta idle $i: $(( $(irq) - a ))" >> $R/host.txt; done
for c in $(seq 15); do (while :; do :; done) & done
for i in 1 2 3 4; do a=$(irq); b "busy $i" ./omnimoe-f bench --dtype f16 --tokens 1 --layers 4 --json $R/busy-$i.json; echo "irq delta busy $i: $(( $(irq) - a ))" >> $R/host.txt; done
kill $(jobs -p); wait 2>/dev/null
for r in 1 2; do for tk in 32 64 128 256; do for w in 0 256 512; do
  if [ $w = 0 ]; then b "T=$tk default $r" ./omnimoe-f bench --dtype f16 --tokens $tk --layers 4 --json $R/t$tk-w$w-$r.json
  else OMNIMOE_ET_WGS=$w b "T=$tk wgs=$w $r" ./omnimoe-f bench --dtype f16 --tokens $tk --layers 4 --json $R/t$tk-w$w-$r.json; fi
done; done; done
OMNIMOE_STACK_STAGES=1 b "stages T=64 default" ./omnimoe-f bench --dtype f16 --tokens 64 --layers 4
OMNIMOE_ET_WGS=256 OMNIMOE_STACK_STAGES=1 b "stages T=64 wgs=256" ./omnimoe-f bench --dtype f16 --tokens 64 --layers 4
tar -C $R -czf $OUT/r269.tgz .
cat $R/host.txt | cut -c1-200
grep -E "^(==|rc=|stack stage|panicked)" $L | grep -v "^== T=\|^rc=0 [0-9]s" | cut -c1-200
for f in $R/*.json; do python3 -c "
import json
d=json.load(open('$f'))
s=d['stack']
print('%-16s layer %.4f wall %.4f spin %.4f empty %.4f/%.4f enc %.4f sub %.4f | stack/layer %.4f'%('$f'.split('/')[-1], d['layer_ms'], d['layer_wall_ms'], d['layer_wall_spin_ms'], d['empty_submit_ms'], d['empty_submit_spin_ms'], d['host_encode_ms'], d['host_submit_ms'], s['gpu_ms_per_layer']))
"; done
