#!/bin/bash
# The skinny kernel's STAGED builds with two steps of B's loads in flight a lane instead of one
# (gemm_skinny.wgsl PF2, the temporary switch OMNIMOE_SKINNY_PF2; the loads and stores of a step now go
# through two small functions on a register array). GPU tests of the new build with and without PF2;
# token sweeps: run160's build (base), the new build, the new build with PF2 (and once with 256
# workgroups), interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-spf2 gpu_stages gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r162; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_stages gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for x in gpu_stages gpu_layer gpu_prepared; do OMNIMOE_SKINNY_PF2=1 b "test $x pf2" ./$x --test-threads 4; done
for i in 1 2; do
  b "sweep base $i" ./omnimoe-final bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-base-$i.json
  b "sweep new $i" ./omnimoe-spf2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-new-$i.json
  OMNIMOE_SKINNY_PF2=1 b "sweep pf2 $i" ./omnimoe-spf2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-pf2-$i.json
done
OMNIMOE_SKINNY_PF2=1 OMNIMOE_SKINNY_WGS=256 b "sweep pf2 wgs256" ./omnimoe-spf2 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-pf2w256-1.json
tar -C $R -czf $OUT/r162.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(22), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'][:9]))
print(' '*22, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
"; done
