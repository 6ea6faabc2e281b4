#!/bin/bash
# The autotune keeping a few-row down projection's configurations within 40 KiB of workgroup memory, so
# that it runs beside the router ("beside"), against run173's final build ("final", cbd0b48): GPU tests
# (gpu_layer, gpu_prepared), token sweeps interleaved, twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-final omnimoe-beside gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r174; mkdir -p $R; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
for x in gpu_layer gpu_prepared; do b "test $x" ./$x --test-threads 4; done
for i in 1 2; do
  for v in final beside; do
    b "sweep $v $i" ./omnimoe-$v bench --dtype f16 --sweep tokens --runs 20 --json $R/tokens-$v-$i.json
  done
done
tar -C $R -czf $OUT/r174.tgz .
grep -E "^(==|rc=|test result|panicked)" $L | cut -c1-160
for f in $R/tokens-*.json; do python3 -c "
import json
d=json.load(open('$f'))
print('$f'.split('/')[-1].ljust(20), ' '.join('%d:%.4f'%(p['tokens'],p['layer_ms']) for p in d['sweep']))
print(' '*20, ' '.join('%d:%.1f/%.1f'%(p['tokens'],p['gemm_stream'][0]['ms']*1e3,p['gemm_stream'][1]['ms']*1e3) for p in d['sweep'] if p.get('gemm_stream') and p['tokens']>=64))
print(' '*20, ' | '.join('%d:%s/%s'%(p['tokens'],p['gemm_stream'][0]['kernel'][12:40],p['gemm_stream'][1]['kernel'][12:40]) for p in d['sweep'] if p.get('gemm_stream') and p['tokens']>=64))
"; done
