// prefetch: reads a weight into the GPU's last-level cache ahead of the GEMM that needs it, beside a pass
// that reads little from device memory (see src/gpu/stages/prefetch.rs). So that the loads are not dead
// code, each workgroup folds its slice of the buffer into a checksum (CPU twin: cpu/prefetch.rs):
//
//   sink[w] = XOR of the 32-bit words of src[w · SLICE .. (w + 1) · SLICE] (SLICE 16-byte words; the last
//             slice may be short)
//
// XOR is exact, associative and commutative: the same bits whatever the order. Launch: ⌈len / SLICE⌉
// workgroups of 256 invocations (folded over y), invocation i loading words i, i + 256, … of its slice,
// all LOADS requested before they are folded.
//
// Built without runtime bounds checks (TRUSTED in src/gpu/pipelines.rs): src is read only below p.len,
// the words the host binds, and sink only at the workgroup's index, below the ⌈len / SLICE⌉ words the
// host binds.

struct Params {
    // 16-byte words in src.
    len: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> sink: array<u32>;

const LOADS: u32 = 8u;
const SLICE: u32 = 256u * LOADS;

var<workgroup> folds: array<u32, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    // Folded over y, the last row may hold workgroups past the slices.
    if (w * SLICE >= p.len) {
        return;
    }
    let first = w * SLICE + li;
    var v = vec4<u32>(0u);
    for (var j = 0u; j < LOADS; j++) {
        let i = first + j * 256u;
        if (i < p.len) {
            v ^= src[i];
        }
    }
    folds[li] = v.x ^ v.y ^ v.z ^ v.w;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (li < s) {
            folds[li] ^= folds[li + s];
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        sink[w] = folds[0];
    }
}
