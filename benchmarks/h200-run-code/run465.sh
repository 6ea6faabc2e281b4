#!/bin/bash
# Forty-fourth session. What cuBLAS (PyTorch, wgmma) makes of the layer's GEMMs at 1-256 rows on this
# H200, beside our kernels' gemm_stream in the same run (omnimoe-w = 8a708ef's kernels); whether the
# driver's shader disk cache holds machine code we can disassemble; whether ncu profiles a Vulkan program.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
H=$PWD/benchmarks/h200-run-code
cd .dev; for x in omnimoe-w; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r465; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r465.tgz .; return $rc; }
export __GL_SHADER_DISK_CACHE=1 __GL_SHADER_DISK_CACHE_PATH=$R/glc __GL_SHADER_DISK_CACHE_SKIP_CLEANUP=1
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
bench warmup A=1 ./omnimoe-w bench --tokens 32
for t in 32 64 128 256; do for i in 4096 16384; do bench i$i-t$t A=1 ./omnimoe-w bench --tokens $t --intermediate $i; done; done
b cublas python3 $H/cublas_skinny.py $R/cublas.json
b carve python3 $H/carve_sass.py $R/glc $R/elf
ls $R/elf | head -3 >> $L
for e in $R/elf/*.elf; do cuobjdump -sass $e > ${e%.elf}.sass 2>&1 || nvdisasm -c $e > ${e%.elf}.sass 2>&1; done
ls -la $R/elf | head -40 >> $L
tar -C $R -czf $OUT/r465.tgz .
b ncu timeout 60 ncu --clock-control none --target-processes all -c 3 ./omnimoe-w bench --tokens 32 --dtype f16 --layers 1 --runs 2 --no-autotune
tar -C $R -czf $OUT/r465.tgz .
grep -E "rc=[1-9]" -B1 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
sed -n '/== cublas/,/rc=/p' $L
