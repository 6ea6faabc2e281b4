#!/bin/bash
# The fused chain at 33..64 tokens: the gate/up GEMM (64 × 128 tiles) split over K in 2 ranges, its
# partial products read by the router and the down projection's staging (no reduction pass), as up to 16
# tokens (temporary switches: OMNIMOE_SPLIT_K_FORCE=2 for the unsplit GEMMs of 33..64 rows,
# OMNIMOE_FUSED_MAX=64). GPU layer tests with them; token sweeps with and without, interleaved.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f64 gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r168; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_layer gpu_prepared; do OMNIMOE_SPLIT_K_FORCE=2 OMNIMOE_FUSED_MAX=64 b "test $x fused64" ./$x --test-threads 4; done
for i in 1 2; do
  b "sweep default $i" ./omnimoe-f64 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-default-$i.json
  OMNIMOE_SPLIT_K_FORCE=2 OMNIMOE_FUSED_MAX=64 b "sweep fused64 $i" ./omnimoe-f64 bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-fused64-$i.json
done
tar -C $R -czf $OUT/r168.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(22), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep'][:9]))
print(' '*22, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream')))
"; done
