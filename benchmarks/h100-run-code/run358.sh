#!/bin/bash
# Thirtieth session: persistent few-row tiles (PERSIST, OMNIMOE_COOP_PERSIST=<SMs>): a workgroup takes
# several column tiles, the next tile's first K step loaded during the last step and the epilogue.
# gpu_gemm with 3 (every candidate, several tiles a workgroup); gemm_stream at I = 4096 / 8192 / 16384, 32
# and 64 tokens beside the default; per layer of 4 at I = 16384; two rounds.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f gpu_gemm gpu_layer; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r358; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 200 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r358.tgz .; }
b "test gpu_gemm persist3" env OMNIMOE_COOP_PERSIST=3 ./gpu_gemm --test-threads 4
b "test gpu_layer persist132" env OMNIMOE_COOP_PERSIST=132 ./gpu_layer --test-threads 4
for r in 1 2; do
  for pe in 0 132 66; do
    for i in 8192 16384; do
      for t in 32 64; do
        b "I=$i T=$t persist$pe $r" env OMNIMOE_COOP_PERSIST=$pe ./omnimoe-f bench --dtype f16 --tokens $t --intermediate $i --layers 1 --runs 20 --no-autotune --json $R/m/i$i-t$t-p$pe-$r.json
      done
    done
    b "I=16384 T=32 L4 persist$pe $r" env OMNIMOE_COOP_PERSIST=$pe ./omnimoe-f bench --dtype f16 --tokens 32 --intermediate 16384 --layers 4 --runs 20 --no-autotune --json $R/m/L4-i16384-t32-p$pe-$r.json
  done
done
grep -E "^(== test|rc=[1-9]|test result|panicked)" $L | cut -c1-200
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o '"output_digest": *"[0-9a-f]*"' $f) $(grep -o '"gpu_ms_per_layer": *[0-9.]*' $f | head -1)"; done
