#!/bin/bash
# Thirty-second session, first call on an H200 (the H100 is no longer lent): the committed build
# (0a70969) — nvidia-smi, the copy bandwidth through PyTorch (the ceiling), the four GPU test binaries,
# the token sweep (h200-tokens-f16.json) and per layer of a stack of 4 at 32 / 64 / 128 tokens and
# I = 16384 at 32 (run377's points on the H100).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer gpu_prepared gpu_stages; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r378; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r378.tgz .; }
b "nvidia-smi" nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit --format=csv
b "copy" python3 -c "
import torch
for gb in (0.0625, 0.25, 1, 4):
    n=int(gb*2**30)//2; a=torch.empty(n,dtype=torch.float16,device='cuda'); c=torch.empty_like(a)
    for _ in range(3): c.copy_(a)
    s=torch.cuda.Event(enable_timing=True); e=torch.cuda.Event(enable_timing=True); s.record()
    for _ in range(20): c.copy_(a)
    e.record(); torch.cuda.synchronize(); ms=s.elapsed_time(e)/20
    print(f'copy {2*n*2/1e6:.0f} MB moved: {ms*1e3:.1f} us, {2*n*2/ms/1e6:.0f} GB/s read+written')
    s.record()
    for _ in range(20): a.sum()
    e.record(); torch.cuda.synchronize(); ms=s.elapsed_time(e)/20
    print(f'sum {n*2/1e6:.0f} MB read: {ms*1e3:.1f} us, {n*2/ms/1e6:.0f} GB/s')
"
for t in gpu_layer gpu_prepared gpu_gemm gpu_stages; do b "test $t" ./$t --test-threads 4; done
b "sweep" ./omnimoe-f bench --dtype f16 --sweep tokens --layers 4 --tokens 1 --json $R/tokens-f16.json
for round in 1 2; do
  for t in 1 16 32 64 128 256; do
    b "T=$t" ./omnimoe-f bench --dtype f16 --tokens $t --layers 4 --runs 20 --no-autotune --json $R/m/t$t-$round.json
  done
  b "I=16384 T=32" ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 4 --runs 20 --no-autotune --json $R/m/i16384-t32-$round.json
done
grep -E "^(==|rc=|test result|copy|sum|NVIDIA|name)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
