#!/bin/bash
# Twenty-eighth session: the few-row tiles taken apart (timing only, `coop_probe2.diff`, its first three probes;
# OMNIMOE_COOP_PROBE): A's chunks always from the range's first step (noa: no new A traffic), B's likewise
# (nob: no weights from HBM after the first step), one k16 slice of the eight multiplied a step (one).
# gemm_stream (each GEMM alone, weights from memory) at 32 rows (32 × 64 tiles) and 64 (64 × 64), I = 4096
# and 16384.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r341; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r341.tgz .; }
for i in 4096 16384; do
  for t in 32 64; do
    for pr in none noa nob one noa,one noa,nob noa,nob,one; do
      b "I=$i T=$t probe=$pr" env OMNIMOE_COOP_PROBE=$pr ./omnimoe-f bench --dtype f16 --tokens $t --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t$t-$pr.json
    done
  done
done
cd $R/m; for f in *.json; do python3 -c "
import json,sys;d=json.load(open('$f'));g=d['gemm_stream'];print('$f', ' '.join('%s %.1f'%(x['gemm'],x['ms']*1000) for x in g), 'read', ' '.join('%.1f'%(x['ms']*1000) for x in d['read_stream']))"; done | tee -a $L
