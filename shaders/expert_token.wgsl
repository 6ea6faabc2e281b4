// expert_token: the token-centric expert stage in one pass, for few tokens (decode): for token t,
//
//   h[k] = SiLU(u_{e_k} · x_t) · exp(scores[t, k])        (expert_scores.wgsl, token_centric)
//   sparse[t, c] = Σ_{k = 0..K} h[k] · v_{e_k}[c]          (expert_combine.wgsl)
//
// with the same arithmetic in the same order as those two passes, so the same bits: h is computed by the
// shared lane_dot (shared/expert_dot.wgsl) and summed over lanes in lane order (shared/expert_weights.wgsl),
// then kept in workgroup memory instead of going through a buffer; the combine runs over k in slot order. One dispatch instead of
// two, and no wait between them: what counts when a forward is a few microseconds of work per stage.
//
// Launch: `slices` workgroups of 256 (16 groups of 16 lanes) per token, ids folded over x and y, each
// weighing the token's experts and summing one slice of the branch's columns.

struct Params {
    t: u32,
    h: u32,
    k: u32,
    // PARTIAL (shared/expert_sum.wgsl): the down projection's K ranges, and the distance between ranges
    // in output elements.
    ranges: u32,
    zstride: u32,
    // Workgroups per token, each summing one slice of the branch's columns (all of them weigh the
    // token's experts); with SPREAD (slices of a few columns) from V an element an invocation.
    slices: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#import expert_dot
@group(0) @binding(3) var<storage, read> scores: array<f32>;
@group(0) @binding(4) var<storage, read> indices: array<u32>;

#import expert_sum
#import expert_weights
var<workgroup> red: array<f32, 256>;
var<workgroup> weight: array<f32, 128>;
var<workgroup> expert: array<u32, 128>;

fn slot_expert(t: u32, k: u32) -> u32 {
    return indices[t * p.k + k];
}

fn slot_score(t: u32, k: u32) -> f32 {
    return scores[t * p.k + k];
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let flat = wid.x + wid.y * nwg.x;
    let t = flat / p.slices;
    let slice = flat % p.slices;
    if (t >= p.t) {
        return;
    }
    if (li < p.k) {
        expert[li] = indices[t * p.k + li];
    }
    expert_weights(t, li);
    sum_expert_slice(t, li, p.k, slice, p.slices);
}
