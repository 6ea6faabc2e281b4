#!/bin/bash
# Forty-fourth session (omnimoe-f = 4ee1415's kernels + the strips' first two steps asked for together;
# omnimoe-c = 11d7e94, as committed before it, side by side). All four GPU test binaries on omnimoe-f's
# build; the strips' points and the README's.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-c omnimoe-f gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r471; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r471.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm ./gpu_gemm --test-threads 4
b gpu_layer ./gpu_layer --test-threads 4
b gpu_prepared ./gpu_prepared --test-threads 4
b gpu_stages ./gpu_stages --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-f bench --tokens 32
for x in c f; do
  bench $x-i4096-t32 A=1 ./omnimoe-$x bench --tokens 32
  bench $x-i16384-t32 A=1 ./omnimoe-$x bench --tokens 32 --intermediate 16384
  bench $x-i12288-t32 A=1 ./omnimoe-$x bench --tokens 32 --intermediate 12288
  bench $x-i16384-t17 A=1 ./omnimoe-$x bench --tokens 17 --intermediate 16384
done
bench f-i4096-t17 A=1 ./omnimoe-f bench --tokens 17
bench f-i32768-t32 A=1 ./omnimoe-f bench --tokens 32 --intermediate 32768
bench f-i16384-t32-2 A=1 ./omnimoe-f bench --tokens 32 --intermediate 16384
bench c-i16384-t32-2 A=1 ./omnimoe-c bench --tokens 32 --intermediate 16384
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
