#!/bin/bash
# Where the host's floor under the wall times comes from: the machine's CPUs and NUMA nodes, then the f16
# bench at T=1 and T=256 pinned to single cores of each node (taskset), and unpinned.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r184; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
b "lscpu" lscpu
b "nodes" bash -c 'ls /sys/devices/system/node/; cat /sys/devices/system/node/node*/cpulist; nvidia-smi topo -m; cat /sys/bus/pci/devices/*/numa_node 2>/dev/null | sort | uniq -c'
for c in none 0 8 15; do
  for t in 1 256; do
    if [ $c = none ]; then P=""; else P="taskset -c $c"; fi
    b "cpu $c T=$t" $P ./omnimoe-final bench --dtype f16 --tokens $t --no-autotune --runs 50 --json $R/cpu$c-t$t.json
  done
done
tar -C $R -czf $OUT/r184.tgz .
grep -E "^(==|rc=)" $L | paste - - | cut -c1-100
grep -A3 "NUMA\|Model name\|^CPU(s)" $L | head -20
for f in $R/cpu*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(16), 'gpu %.4f wall %.4f spin %.4f empty %.4f / spin %.4f encode %.4f submit %.4f'%(d['layer_ms'],d['layer_wall_ms'],d['layer_wall_spin_ms'],d['empty_submit_ms'],d['empty_submit_spin_ms'],d['host_encode_ms'],d['host_submit_ms']))
"; done
