#!/bin/bash
# Thirty-second session: are the H100's kernel choices by T the H200's? Per layer of a stack of 4
# (untuned), the committed build (0a70969) beside its measuring aids: the GEMV's lanes and the skinny
# kernel at 1 token, the GEMV at 2–8 tokens (skinny kernel off), the skinny kernel's workgroups at 16,
# the skinny kernel at 32 and 64 and the split-K target from 32 to 256; the default twice.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r379; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r379.tgz .; }
p() { local t=$1 name=$2; shift 2; b "T=$t $name" env "$@" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-$name.json; }
for t in 1 2 4 8 16 32 64 128 256; do p $t def; done
p 1 lanes16 OMNIMOE_GEMV_LANES=16; p 1 lanes64 OMNIMOE_GEMV_LANES=64; p 1 lanes128 OMNIMOE_GEMV_LANES=128; p 1 skinny OMNIMOE_SKINNY=all
for t in 2 4 8 16; do p $t noskinny OMNIMOE_SKINNY=off; done
p 16 wgs64 OMNIMOE_SKINNY_WGS=64; p 16 wgs256 OMNIMOE_SKINNY_WGS=256
for t in 32 64; do p $t skinny OMNIMOE_SKINNY=all; done
for t in 32 64 128 256; do p $t sk64 OMNIMOE_SPLIT_K_WGS=64; p $t sk256 OMNIMOE_SPLIT_K_WGS=256; done
for t in 1 2 4 8 16 32 64 128 256; do p $t def2; done
grep -E "^(==|rc=[1-9])" $L | grep -B1 "^rc" | cut -c1-200
for f in $R/m/*.json; do python3 -c "
import json,sys; d=json.load(open('$f')); g=' '.join('%s %s/%d %.1f' % (x['gemm'], x['kernel'].split('(')[0].split(' ')[0], x['splits'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-18s %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['output_digest'], g))"; done
