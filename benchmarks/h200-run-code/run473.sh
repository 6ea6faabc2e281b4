#!/bin/bash
# Forty-fifth session, probes on omnimoe-a = f4878f4 + two measuring aids: OMNIMOE_COOP_AHEAD2 (the
# few-row tiles with two K steps' loads in flight, as the strips) and OMNIMOE_RE_BESIDE (router_experts
# beside the down projection from that many tokens, then the sum pass, in place of router_topk ∥ down →
# expert_token). gpu_gemm under the first, gpu_layer and gpu_prepared under the second.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-a gpu_gemm gpu_layer gpu_prepared; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r473; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r473.tgz .; return $rc; }
export OMNIMOE_GOLDEN_DIR=$PWD/golden
b gpu_gemm-ahead2 env OMNIMOE_COOP_AHEAD2=all ./gpu_gemm --test-threads 4
b gpu_layer-re env OMNIMOE_RE_BESIDE=2 ./gpu_layer --test-threads 4
b gpu_prepared-re env OMNIMOE_RE_BESIDE=2 ./gpu_prepared --test-threads 4
grep -E "test result|FAILED|panicked" $L
bench() { n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
X=./omnimoe-a
bench warmup A=1 $X bench --tokens 32
for t in 17 32 64 128 256; do for i in 4096 16384; do
  bench i$i-t$t A=1 $X bench --tokens $t --intermediate $i
  bench i$i-t$t-a2 OMNIMOE_COOP_AHEAD2=all $X bench --tokens $t --intermediate $i
done; done
for t in 17 32 64 128; do for i in 4096 16384; do
  bench i$i-t$t-re OMNIMOE_RE_BESIDE=2 $X bench --tokens $t --intermediate $i
done; done
grep -E "rc=[1-9]" -B3 $L
for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
