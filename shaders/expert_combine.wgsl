// expert_combine: the expert branch of each token, summed in slot order:
//
//   sparse[t, c] = Σ_{k = 0..K} h[t, k] · v_{e_k}[c]        e_k = indices[t, k]; v: [N, H] elem; sparse: [T, H] f32
//
// Launch: one workgroup of 256 per token (ids folded over x and y); the token's K weights and expert ids
// are staged in workgroup memory, then invocation i accumulates columns i, i + 256, … over k in order
// (with VEC4, H % 4 == 0: the 4-column chunks i, i + 256, …, four independent sums in the same order, so
// the same bits), loading four experts' rows before it adds them. With RAGGED and COMPENSATE each h is
// first multiplied by its token's compensation factor.

struct Params {
    t: u32,
    h: u32,
    k: u32,
    // PARTIAL (shared/expert_sum.wgsl): the down projection's K ranges, and the distance between ranges
    // in output elements.
    ranges: u32,
    zstride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h_in: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
#if RAGGED
// Token t's pairs are offsets[t] .. offsets[t + 1] of h_in and indices (routing modes with 0 .. M
// experts a token), summed 128 at a time.
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
var<workgroup> segment: vec2<u32>;
#if COMPENSATE
// Cost-aware pruning's compensation (src/caee.rs): each kept pair's h multiplied by its token's
// factor (routed weight over kept weight), so the token's kept weights add up to what was routed.
@group(0) @binding(4) var<storage, read> compensate: array<f32>;
#endif
#endif
// V at binding 5, the expert branch at 6: declared in shared/expert_sum.wgsl.

#import expert_sum
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
#if RAGGED
    if (li == 0u) {
        segment = vec2<u32>(offsets[t], offsets[t + 1u]);
    }
    let seg = workgroupUniformLoad(&segment);
    if (seg.x == seg.y) {
        sum_experts(t, li, 0u, false);
    }
    // 128 pairs a batch, each batch continuing the sums of the one before.
    for (var s0 = seg.x; s0 < seg.y; s0 += 128u) {
        let n = min(128u, seg.y - s0);
        if (li < n) {
#if COMPENSATE
            weight[li] = h_in[s0 + li] * compensate[t];
#else
            weight[li] = h_in[s0 + li];
#endif
            expert[li] = indices[s0 + li];
        }
        workgroupBarrier();
        sum_experts(t, li, n, s0 != seg.x);
        workgroupBarrier();
    }
#else
    if (li < p.k) {
        weight[li] = h_in[t * p.k + li];
        expert[li] = indices[t * p.k + li];
    }
    workgroupBarrier();
    sum_experts(t, li, p.k, false);
#endif
}
