// expert_token: the token-centric expert stage in one pass, for few tokens (decode): for token t,
//
//   h[k] = SiLU(u_{e_k} · x_t) · exp(scores[t, k])        (expert_scores.wgsl, token_centric)
//   sparse[t, c] = Σ_{k = 0..K} h[k] · v_{e_k}[c]          (expert_combine.wgsl)
//
// with the same arithmetic in the same order as those two passes, so the same bits: h is computed by the
// shared lane_dot (shared/expert_dot.wgsl) and summed over lanes in lane order, then kept in workgroup
// memory instead of going through a buffer; the combine runs over k in slot order. One dispatch instead of
// two, and no wait between them: what counts when a forward is a few microseconds of work per stage.
//
// Launch: one workgroup of 256 (16 groups of 16 lanes) per token, ids folded over x and y.

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
#import expert_dot
@group(0) @binding(3) var<storage, read> scores: array<f32>;
@group(0) @binding(4) var<storage, read> indices: array<u32>;

#import expert_sum
var<workgroup> red: array<f32, 256>;
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
        expert[li] = indices[t * p.k + li];
    }
    let g = li / LANES;
    for (var k0 = 0u; k0 < p.k; k0 += GROUPS) {
        let slot = k0 + g;
        let valid = slot < p.k;
        let pair = t * p.k + slot;
        var acc = 0.0;
        var score = 0.0;
        if (valid) {
            score = scores[pair];
            acc = lane_dot(indices[pair], t, li % LANES);
        }
        red[li] = acc;
        workgroupBarrier();
        if (valid && li % LANES == 0u) {
            var s = 0.0;
            for (var l = 0u; l < LANES; l++) {
                s += red[li + l];
            }
            weight[slot] = silu(s) * exp(score);
        }
        workgroupBarrier();
    }
    sum_experts(t, li, p.k, false);
}
