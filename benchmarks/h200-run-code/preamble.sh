# The device run scripts' shared set-up (from run484 on), sourced from the repository root on the device:
#   . .dev/preamble.sh NNN BINARY...
# unpacks the Vulkan loader (.gl) and each .dev/BINARY.xz, moves into .dev, and defines R (results, tarred
# into $OUT/rNNN.tgz after every step), L (the log), b NAME CMD... (a step: logged, timed, at most 150 s),
# bench NAME ENV... CMD... (`omnimoe bench` in f16, a stack of 4, 30 runs, no autotune, JSON in $R/m) and
# summary (failed steps, then each JSON's time per layer, digest and GEMMs alone).
RUN=$1; shift
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export WGPU_BACKEND=vulkan RUST_LOG=omnimoe=warn
cd .dev; for x in "$@"; do xz -d -k -f $x.xz; chmod +x $x; done
export OMNIMOE_GOLDEN_DIR=$PWD/golden
R=/tmp/r$RUN; mkdir -p $R/m; L=$R/log.txt
b() { echo "== $1" >> $L; shift; S=$(date +%s); timeout 150 "$@" >> $L 2>&1; rc=$?; echo "rc=$rc $(( $(date +%s) - S ))s" >> $L; tar -C $R -czf $OUT/r$RUN.tgz .; return $rc; }
bench() { local n=$1; shift; b $n env "$@" --dtype f16 --layers 4 --runs 30 --no-autotune --json $R/m/$n.json; }
summary() {
  grep -E "rc=[1-9]" -B3 $L
  for f in $R/m/*.json; do python3 -c "
import json; d=json.load(open('$f')); g=' '.join('%s %.2f' % (x['gemm'], x['ms']*1e3) for x in d['gemm_stream'])
print('%-24s %.4f %.4f  %s  %s' % ('$(basename $f .json)', d['stack']['gpu_ms_per_layer'], d['layer_ms'], d['output_digest'], g))"; done
}
