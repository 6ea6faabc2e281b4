// read_probe: a kernel that only reads. Workgroup w folds its `per_wg` 16-byte words of `src` (words
// w·per_wg .. , fewer in the last) with XOR into one u32, out[w] (CPU twin: cpu/read_probe.rs):
//
//   out[w] = XOR over words i of workgroup w of (src[i].x ^ src[i].y ^ src[i].z ^ src[i].w)
//
// What it takes to read a weight of the layer's size from device memory with nothing else to do, in a
// chain of dependent dispatches as a forward's GEMMs run: the ceiling of a weight-streaming GEMM
// (`gpu::weight_stream::read_ms`, `omnimoe bench`'s `read_stream`).
//
// Launch: ⌈words / per_wg⌉ workgroups (ids folded over x and y) of 256 invocations; invocation i reads
// words i, i + 256, … of its workgroup's, four loads issued before they are folded. XOR is associative and
// commutative: the result does not depend on the order.

struct Params {
    // 16-byte words of src.
    words: u32,
    // Words per workgroup.
    per_wg: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

const WG: u32 = 256u;

var<workgroup> part: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let w = wid.x + wid.y * nwg.x;
    let base = w * p.per_wg;
    let end = min(base + p.per_wg, p.words);
    var acc = vec4<u32>(0u);
    var i = base + li;
    for (; i + 3u * WG < end; i += 4u * WG) {
        let a = src[i];
        let b = src[i + WG];
        let c = src[i + 2u * WG];
        let d = src[i + 3u * WG];
        acc ^= (a ^ b) ^ (c ^ d);
    }
    for (; i < end; i += WG) {
        acc ^= src[i];
    }
    part[li] = (acc.x ^ acc.y) ^ (acc.z ^ acc.w);
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (li < s) {
            part[li] ^= part[li + s];
        }
        workgroupBarrier();
    }
    if (li == 0u && base < p.words) {
        out[w] = part[0];
    }
}
