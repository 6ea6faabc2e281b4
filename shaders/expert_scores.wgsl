// expert_scores: for each (token t, slot k) pair p = t·K + k routed to expert e,
//
//   h[p] = SiLU(u_e · x_t) · exp(scores[p])        u: [N, H], x: [T, H] elem; scores, h: [T, K] f32
//
// Two schedules, same arithmetic (so the same bits):
// - `expert_centric`: one workgroup per expert e (ids folded over x and y) walks its pairs
//   perm[offset[e] .. offset[e+1]) eight at a time; u_e is fetched once per workgroup and stays in cache
//   for all of its tokens. Empty experts exit at once.
// - `token_centric`: one workgroup per token walks its K slots eight at a time, fetching u_e for every pair
//   (with RAGGED its pairs offsets[t] .. offsets[t + 1], any number).
// Each pair's dot is split over 16 lanes (lane l sums h ≡ l mod 16 in increasing h; with VEC4, H % 4 == 0,
// lane l sums the 4-element chunks ≡ l mod 16, each chunk in order, so 16 lanes read 16 consecutive
// chunks at once), then the group's first lane adds the 16 partial sums in lane order: bitwise
// reproducible, and equal between the schedules.
// Launch: 256 invocations = 16 groups of 16 lanes; N workgroups (expert_centric) or T (token_centric).

struct Params {
    t: u32,
    h: u32,
    k: u32,
    n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#import expert_dot
@group(0) @binding(3) var<storage, read> scores: array<f32>;
@group(0) @binding(4) var<storage, read_write> h_out: array<f32>;
#if EXPERT_CENTRIC
@group(0) @binding(5) var<storage, read> offset: array<u32>;
@group(0) @binding(6) var<storage, read> perm: array<u32>;
#else
@group(0) @binding(5) var<storage, read> indices: array<u32>;
#endif
#if RAGGED
// Token t's pairs are offsets[t] .. offsets[t + 1] (routing modes with 0 .. M experts a token).
@group(0) @binding(6) var<storage, read> offsets: array<u32>;
#endif

var<workgroup> red: array<f32, 256>;
var<workgroup> segment: vec2<u32>;

// Adds the lanes' partial sums of each group in lane order and writes h for the group's pair.
fn finish(li: u32, v: f32, pair: u32, valid: bool) {
    red[li] = v;
    workgroupBarrier();
    if (valid && li % LANES == 0u) {
        var s = 0.0;
        for (var l = 0u; l < LANES; l++) {
            s += red[li + l];
        }
        h_out[pair] = silu(s) * exp(scores[pair]);
    }
    workgroupBarrier();
}

#if EXPERT_CENTRIC
@compute @workgroup_size(256)
fn expert_centric(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let e = wid.x + wid.y * nwg.x;
    if (e >= p.n) {
        return;
    }
    if (li == 0u) {
        segment = vec2<u32>(offset[e], offset[e + 1u]);
    }
    let seg = workgroupUniformLoad(&segment);
    let g = li / LANES;
    for (var s0 = seg.x; s0 < seg.y; s0 += GROUPS) {
        let s = s0 + g;
        let valid = s < seg.y;
        var pair = 0u;
        var acc = 0.0;
        if (valid) {
            pair = perm[s];
            acc = lane_dot(e, pair / p.k, li % LANES);
        }
        finish(li, acc, pair, valid);
    }
}
#else
@compute @workgroup_size(256)
fn token_centric(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    let g = li / LANES;
#if RAGGED
    if (li == 0u) {
        segment = vec2<u32>(offsets[t], offsets[t + 1u]);
    }
    let seg = workgroupUniformLoad(&segment);
    for (var s0 = seg.x; s0 < seg.y; s0 += GROUPS) {
        let pair = s0 + g;
        let valid = pair < seg.y;
        var acc = 0.0;
        if (valid) {
            acc = lane_dot(indices[pair], t, li % LANES);
        }
        finish(li, acc, pair, valid);
    }
#else
    for (var k0 = 0u; k0 < p.k; k0 += GROUPS) {
        let slot = k0 + g;
        let valid = slot < p.k;
        let pair = t * p.k + slot;
        var acc = 0.0;
        if (valid) {
            acc = lane_dot(indices[pair], t, li % LANES);
        }
        finish(li, acc, pair, valid);
    }
#endif
}
#endif
