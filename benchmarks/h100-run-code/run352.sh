#!/bin/bash
# Twenty-ninth session: does a workgroup barrier wait for the loads in flight? The kernel that only reads
# (read_probe_lat.diff, OMNIMOE_READ_PROBE; timing only) with one 16-byte word a lane in flight (lat), two
# (pipe), a workgroup barrier between the request and the fold (bar), a subgroup barrier with workgroup
# memory semantics (sbar), a workgroup barrier with no memory semantics (nbar); at 132 and 264 workgroups
# (OMNIMOE_READ_PER_WG 8070 / 4035 at the gate/up weights' 17 MB). And how many workgroups fit an SM
# by the workgroup memory they declare (pad p16 … p28 KiB, plus 1 KiB).
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in omnimoe-f; do xz -d -k -f $x.xz; chmod +x $x; done
R=/tmp/r352; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 100 "$@" >> $L 2>&1; echo "rc=$? $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r352.tgz .; }
run() { b "$1 $2" env OMNIMOE_READ_PROBE=$1 OMNIMOE_READ_PER_WG=$2 ./omnimoe-f bench --dtype f16 --tokens 1 --layers 1 --runs 3 --no-autotune --json $R/m/read-$1-$2.json; }
for w in 8070 4035; do
  for m in none lat lat,pipe lat,bar lat,pipe,bar lat,sbar lat,pipe,sbar lat,pipe,nbar; do run $m $w; done
done
for w in 8070 4035 2018; do
  for m in lat,pipe,p16 lat,pipe,p20 lat,pipe,p22 lat,pipe,p23 lat,pipe,p24 lat,pipe,p28; do run $m $w; done
done
grep -E "rc=[1-9]|panicked|rror" $L | head
for f in $R/m/*.json; do echo "$(basename $f) $(grep -o "\"gemm\": *\"[a-z_]*\"\|\"ms\": *[0-9.e-]*" $f | tr -d "\n ")"; done
