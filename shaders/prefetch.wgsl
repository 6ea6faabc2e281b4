// prefetch: reads a weight into the GPU's last-level cache ahead of the GEMM that needs it, beside a pass
// that leaves device memory idle (see src/gpu/stages/prefetch.rs). So that the loads are not dead code,
// each workgroup folds what it read into a checksum (CPU twin: cpu/prefetch.rs):
//
//   sink[w] = XOR of the 32-bit words of the chunks c ≡ w (mod G) of src, chunk c being the 16-byte words
//             256·c .. 256·c + 255 (the last one may be short), G the workgroups launched
//
// XOR is exact, associative and commutative: the same bits whatever the order. Launch: G workgroups of 256
// invocations, few enough to sit beside the pass they run with; each invocation walks its chunks G apart,
// LOADS of them requested at a time before they are folded.
//
// Built without runtime bounds checks (TRUSTED in src/gpu/pipelines.rs): src is read only below p.len,
// the 16-byte words the host binds, and sink only at the workgroup's index, below the G words the host
// binds.

struct Params {
    // 16-byte words in src.
    len: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> sink: array<u32>;

const LOADS: u32 = 8u;

var<workgroup> folds: array<u32, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let w = wid.x;
    let g = nwg.x;
    var v = vec4<u32>(0u);
    for (var c = w; c * 256u < p.len; c += LOADS * g) {
        for (var j = 0u; j < LOADS; j++) {
            let i = (c + j * g) * 256u + li;
            if (i < p.len) {
                v ^= src[i];
            }
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
