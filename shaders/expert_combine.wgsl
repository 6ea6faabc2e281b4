// expert_combine: the expert branch of each token, summed in slot order:
//
//   sparse[t, c] = Σ_{k = 0..K} h[t, k] · v_{e_k}[c]        e_k = indices[t, k]; v: [N, H] elem; sparse: [T, H] f32
//
// Launch: one workgroup of 256 per token (ids folded over x and y); the token's K weights and expert ids
// are staged in workgroup memory, then invocation i accumulates columns i, i + 256, … over k in order
// (with VEC4, H % 4 == 0: the 4-column chunks i, i + 256, …, four independent sums in the same order, so
// the same bits), loading four experts' rows before it adds them.

struct Params {
    t: u32,
    h: u32,
    k: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h_in: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
#if VEC4
@group(0) @binding(3) var<storage, read> down: array<vec4<elem>>;
@group(0) @binding(4) var<storage, read_write> sparse: array<vec4<f32>>;
#else
@group(0) @binding(3) var<storage, read> down: array<elem>;
@group(0) @binding(4) var<storage, read_write> sparse: array<f32>;
#endif

const WG: u32 = 256u;
var<workgroup> weight: array<f32, 128>;
var<workgroup> expert: array<u32, 128>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    if (li < p.k) {
        weight[li] = h_in[t * p.k + li];
        expert[li] = indices[t * p.k + li];
    }
    workgroupBarrier();
#if VEC4
    let h4 = p.h / 4u;
    let k4 = p.k / 4u * 4u;
    for (var c = li; c < h4; c += WG) {
        var acc = vec4<f32>(0.0);
        for (var k = 0u; k < k4; k += 4u) {
            let v0 = vec4<f32>(down[expert[k] * h4 + c]);
            let v1 = vec4<f32>(down[expert[k + 1u] * h4 + c]);
            let v2 = vec4<f32>(down[expert[k + 2u] * h4 + c]);
            let v3 = vec4<f32>(down[expert[k + 3u] * h4 + c]);
            acc = fma(vec4<f32>(weight[k]), v0, acc);
            acc = fma(vec4<f32>(weight[k + 1u]), v1, acc);
            acc = fma(vec4<f32>(weight[k + 2u]), v2, acc);
            acc = fma(vec4<f32>(weight[k + 3u]), v3, acc);
        }
        for (var k = k4; k < p.k; k++) {
            acc = fma(vec4<f32>(weight[k]), vec4<f32>(down[expert[k] * h4 + c]), acc);
        }
        sparse[t * h4 + c] = acc;
    }
#else
    for (var c = li; c < p.h; c += WG) {
        var acc = 0.0;
        for (var k = 0u; k < p.k; k++) {
            acc = fma(weight[k], f32(down[expert[k] * p.h + c]), acc);
        }
        sparse[t * p.h + c] = acc;
    }
#endif
}
