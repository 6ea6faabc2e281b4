#!/bin/bash
# Twenty-sixth session, probes beside the committed build (same binary): (1) the tensor-core tiles loading
# the next step with no branch around the loads (OMNIMOE_COOP_NOMORE: past the range the guards give
# zeros), the GEMMs alone and per layer of a stack of 4 at 32 and 64 tokens (I = 4096, 16384); (2) the
# skinny kernel's two steps in flight in ranges of any depth (OMNIMOE_SKINNY_AHEAD2=all, =all_late: the
# second step requested after A is staged), 16 tokens alone and 2, 8, 16 per layer of 4 at I = 4096.
# gpu_gemm with both.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r320; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 300 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r320.tgz .; }
b "test gpu_gemm nomore all_late" env OMNIMOE_COOP_NOMORE=1 OMNIMOE_SKINNY_AHEAD2=all_late ./gpu_gemm --test-threads 4
b "test gpu_gemm all" env OMNIMOE_SKINNY_AHEAD2=all ./gpu_gemm --test-threads 4 skinny
for r in 1 2; do
  for v in new nomore; do
    X="./omnimoe-f"; [ $v = nomore ] && X="env OMNIMOE_COOP_NOMORE=1 ./omnimoe-f"
    for i in 4096 16384; do for t in 32 64; do
      b "I=$i T=$t $v" $X bench --dtype f16 --intermediate $i --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i$i-t$t-$v-$r.json
    done; done
  done
  for v in new all all_late; do
    X="env OMNIMOE_SKINNY_AHEAD2=$v ./omnimoe-f"
    for t in 2 8 16; do
      b "I=4096 T=$t $v" $X bench --dtype f16 --tokens $t --layers 4 --runs 30 --no-autotune --json $R/m/i4096-t$t-$v-$r.json
    done
  done
done
grep -E "^(== |rc=[1-9]|test result|panicked)|alone, weights|stack of|FNV" $L | cut -c1-200
