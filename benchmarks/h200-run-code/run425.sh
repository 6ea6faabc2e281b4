#!/bin/bash
# Thirty-ninth session (omnimoe-p: 60f1d15 + probe_gemv.diff): what the GEMV's time at several rows goes
# to, timing only (wrong sums): OMNIMOE_GEMV_PROBE=nored (no lane sums, no barriers: lane 0's own sums
# stored), noa (A's halves not unpacked: bitcast), nob (B's not), and combinations.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-p; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r425; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r425.tgz .; return $rc; }
run() { name=$1; aid=$2; shift 2; b "$name" env $aid ./omnimoe-p bench --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$name.json "$@"; }
for s in 4096:8 16384:8 4096:6 16384:6; do
  i=${s%:*}; t=${s#*:}
  for c in base:X=1 nored:OMNIMOE_GEMV_PROBE=nored noa:OMNIMOE_GEMV_PROBE=noa nob:OMNIMOE_GEMV_PROBE=nob noab:OMNIMOE_GEMV_PROBE=noa,nob all:OMNIMOE_GEMV_PROBE=nored,noa,nob; do
    run i$i-t$t-${c%%:*} "${c#*:}" --tokens $t --intermediate $i
  done
done
for i in 4096 16384; do for c in base:X=1 nored:OMNIMOE_GEMV_PROBE=nored; do run i$i-t1-${c%%:*} "${c#*:}" --tokens 1 --intermediate $i; done; done
grep -E "^(==|rc=)" $L | grep -E "rc=[1-9]" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
