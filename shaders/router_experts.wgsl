// router_experts: a token's router and expert stage in one workgroup, for the decode chain (one token in a
// stack of layers): router_topk's selection by rank with NORMALISE (shared/topk_rank.wgsl) from the raw
// logits z [T, 2R], then expert_token's arithmetic for the chosen experts, the branch stored (f32):
//
//   scores[t, ·], indices[t, ·]                       (router_topk.wgsl, by_rank, NORMALISE)
//   h[k] = SiLU(u_{e_k} · x_t) · exp(scores[t, k])    (expert_token.wgsl)
//   branch[t, c] = Σ_{k = 0..K} h[k] · v_{e_k}[c]
//
// with the same expressions in the same order as those two passes, so the same bits. It needs only z and
// x, not the down projection, so it runs beside the down projection; the layer's output is then the down
// projection plus this branch, which the next layer's first GEMM adds as it reads them (gemv.wgsl, ASUM):
// one dependent pass fewer per layer.
//
// Launch: `slices` workgroups of 256 (16 groups of 16 lanes for the experts) per token, ids folded over x
// and y: each ranks and weighs the token's experts and sums one slice of the branch's columns, so V's
// chosen rows are read from several SMs (16 slices: 17.2 → 16.7 µs on an H100, BENCHMARKS.md); with
// SPREAD (the default) each of the slice's V elements by an invocation of its own (14.4 → 13.8 µs); with
// PRE_V the first round of them requested before the expert weights, and with DOT8 U's chunks eight a
// round (the defaults: on an H200 13.7 → 12.9 µs, BENCHMARKS.md).

struct Params {
    t: u32,
    r: u32,
    k: u32,
    kp: u32,
    // The candidates (a, b) with (a + 1)(b + 1) ≤ K.
    cand: u32,
    h: u32,
    // Workgroups per token, each summing the branch's columns of one slice (all of them rank and weigh
    // the experts).
    slices: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#import expert_dot
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;
@group(0) @binding(4) var<storage, read_write> indices: array<u32>;
#import expert_sum
@group(0) @binding(8) var<storage, read> z: array<f32>;
@group(0) @binding(9) var<storage, read> mean: array<f32>;
@group(0) @binding(10) var<storage, read> variance: array<f32>;

fn logit(o: u32) -> f32 {
    return z[o];
}

#import topk_rank

var<workgroup> weight: array<f32, 128>;
var<workgroup> expert: array<u32, 128>;
var<workgroup> score: array<f32, 128>;

#import expert_weights

fn slot_expert(t: u32, k: u32) -> u32 {
    return expert[k];
}

fn slot_score(t: u32, k: u32) -> f32 {
    return score[k];
}

// This workgroup's slice of the branch's columns.
var<private> slice: u32;

// The token's rank-th choice: to the router's outputs (from the first slice), and to the expert stage
// below.
fn chosen(t: u32, rank: u32, v: f32, id: u32) {
    if (slice == 0u) {
        scores[t * p.k + rank] = v;
        indices[t * p.k + rank] = id;
    }
    score[rank] = v;
    expert[rank] = id;
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
#if SG_TREE
    @builtin(subgroup_invocation_id) lane: u32,
#endif
) {
#if SG_TREE
    sg_lane = lane;
#endif
    let flat = wid.x + wid.y * nwg.x;
    let t = flat / p.slices;
    let my_slice = flat % p.slices;
    slice = my_slice;
    if (t >= p.t) {
        return;
    }
    rank_select(t, li, 256u);
    workgroupBarrier();
#if PRE_V
    pre_v = spread_first(li, p.k, slice_columns(my_slice, p.slices));
#endif
    // expert_token's weights (`red` is topk_rank's, free again after the barrier above).
    expert_weights(t, li);
    sum_expert_slice(t, li, p.k, my_slice, p.slices);
}
