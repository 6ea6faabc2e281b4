#!/bin/bash
# 64 x 64 tensor-core tiles with K step 128 (CoopTile::Quarter: half the K steps of the 64 x 128 tile,
# twice its workgroups) among the autotune's candidates; OMNIMOE_QUARTER=1 (temporary) forces it on the
# gate/up GEMM of few rows, =all on both GEMMs. GPU tests (gpu_gemm times every candidate against the
# CPU; gpu_layer and gpu_prepared with =all), then token sweeps base / autotune / =1 / =all, twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-base omnimoe-quarter gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r172; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b "test gpu_gemm" ./gpu_gemm --test-threads 4
for x in gpu_layer gpu_prepared; do OMNIMOE_QUARTER=all b "test $x all" ./$x --test-threads 4; done
for i in 1 2; do
  b "sweep base $i" ./omnimoe-base bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-base-$i.json
  b "sweep tuned $i" ./omnimoe-quarter bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-tuned-$i.json
  OMNIMOE_QUARTER=1 b "sweep gateup $i" ./omnimoe-quarter bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-gateup-$i.json
  OMNIMOE_QUARTER=all b "sweep all $i" ./omnimoe-quarter bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-all-$i.json
done
tar -C $R -czf $OUT/r172.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(20), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' '*20, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream') and p['tokens']>=32))
print(' '*20, ' | '.join('%d:%s/%s'%(p['tokens'],p['gemm_stream'][0]['kernel'][12:40],p['gemm_stream'][1]['kernel'][12:40]) for p in d['sweep'] if p.get('gemm_stream') and p['tokens']>=64))
"; done
