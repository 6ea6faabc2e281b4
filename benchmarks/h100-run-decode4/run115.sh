#!/bin/bash
# SIMT GEMM with 8 x 16 outputs an invocation (WIDE, new autotune candidates) beside base (a240115): f32
# layer bench at the README config, interleaved; driver register counts; the GEMM tests (all candidates).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-t omnimoe-wide pipeline_stats gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r115; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
./pipeline_stats gemm=gemm_wide.wgsl > $R/stats-gemm-wide.txt 2>&1
for i in 1 2; do for v in t wide; do b "f32 $v $i" ./omnimoe-$v bench --dtype f32 --json $R/f32-$v-$i.json; done; done
b "f16 simt wide" env OMNIMOE_NO_COOP=1 ./omnimoe-wide bench --dtype f16 --json $R/f16-simt-wide.json
b "test stages" ./gpu_stages --test-threads 4
tar -C $R -czf $OUT/r115.tgz .
grep -E "^(==|rc=|test result)" $L | paste - - 
grep "WIDE" $R/stats-gemm-wide.txt | grep -v "COLS\|ADD" | head
for f in $R/f*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1], 'layer %.4f'%d['layer_ms'], {k:round(v,4) for k,v in d['stages'].items()})
for g in d['gemm_tuning']: print('   ', g['shape'], ' '.join('%.4f'%c['ms'] for c in g['candidates_ms']), g['chosen'])
"; done
