// router_topk: per-axis top-K', then the top-K of the Cartesian candidates, per token.
//
//   ℓ: [T, 2R] log-probabilities (x axis 0..R, y axis R..2R); K' = min(R, K).
//   1. Sort each axis best-first (larger value first; on equal values the lower index first); keep K'.
//   2. With the two lists sorted, the candidate (p, q) = (p-th of x, q-th of y) scores ℓx + ℓy and is
//      beaten by every (p', q') ≤ (p, q), so only the pairs with (p+1)(q+1) ≤ K can reach the top K
//      (≤ 695 for K = 128, against K'² = 16384).
//   3. Sort those candidates best-first (on equal scores the lower expert id e = i·R + j first); write the
//      first K: scores [T, K] (f32, descending) and indices [T, K] (u32).
//
// Three entry points, same results (`by_rank` at the end, its selection in shared/topk_rank.wgsl;
// `by_subgroup` in router_topk/by_subgroup.wgsl):
// - `main`, any R ≤ 1024 (≤ 2048 with AXIS2048): one workgroup of WG (32…256, a pipeline constant) per
//   token (ids folded over x and y); bitonic sorts in workgroup memory over power-of-two sizes given by
//   the host (`axis_pow2` ≥ R, `cand_pow2` ≥ candidate count, both ≤ the sort buffers).
// - `by_rank`, R ≤ 128 and at most 256 candidates: one workgroup of 128 per token; every value's place in
//   best-first order is its rank (how many values go before it), found by comparing it with all the others
//   of its list, so steps 1 and 3 take one pass each instead of a sort (four barriers instead of ~60).
//   With NORMALISE it reads the raw logits z and does router_normalise's work first (BatchNorm, then a
//   log-softmax per axis with max and sum as fixed-shape trees, or with FLAT read whole by every
//   invocation in a fixed order): the router is one dispatch.
// - `by_subgroup` (SUBGROUP), R ≤ 2S for subgroups of S: one subgroup per token, no barriers.

struct Params {
    t: u32,
    r: u32,
    k: u32,
    kp: u32,
    axis_pow2: u32,
    cand_pow2: u32,
    // by_rank: the number of candidates.
    cand: u32,
    // PARTIAL: the K ranges of the partial products, their rows per range, row width, and the first
    // column of the logits.
    ranges: u32,
    rows: u32,
    width: u32,
    first: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ell: array<f32>;

// Element o of the input [T, 2R]; with PARTIAL the input is the gate/up GEMM's split-K partial products
// [ranges, rows, width] and the logits its columns first .. first + 2R, summed over the ranges in range
// order from zero: what gemm_reduce would have stored (one pass fewer before the router).
fn logit(o: u32) -> f32 {
#if PARTIAL
    let t = o / (2u * p.r);
    let col = p.first + o - t * 2u * p.r;
    var s = 0.0;
    for (var z = 0u; z < p.ranges; z++) {
        s += ell[(z * p.rows + t) * p.width + col];
    }
    return s;
#else
    return ell[o];
#endif
}
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;
#if NORMALISE
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
#endif

// Invocations per workgroup: a power of two from 32 to 256, chosen by the host to fit the sorts.
override WG: u32 = 256u;

// Sort buffers: 1024 elements, 2048 with AXIS2048 (R from 1025 to 2048; 16 KiB).
#if AXIS2048
const SORT_N: u32 = 2048u;
#else
const SORT_N: u32 = 1024u;
#endif
var<workgroup> sv: array<f32, SORT_N>;
var<workgroup> si: array<u32, SORT_N>;
var<workgroup> row_start: array<u32, 128>;

#if ALL
// ALL (the routing modes' candidates): with the K' best of each axis in top_v / top_i, writes every one
// of the K'² candidates (a, b) to slot ι(a)·K' + ι(b) of the token's row of K'², where ι ranks a chosen
// index among its axis' chosen indices: the row is in ascending expert id order (e = i·R + j), so no
// sort of the candidates. `id_rank` holds ι for both axes (y at MAX_KP).
var<workgroup> id_rank: array<u32, 256>;

fn write_all_candidates(t: u32, li: u32, wg: u32) {
    for (var s = li; s < 2u * p.kp; s += wg) {
        let axis = s / p.kp;
        let a = s % p.kp;
        let mine = top_i[axis * MAX_KP + a];
        var rank = 0u;
        for (var q = 0u; q < p.kp; q++) {
            rank += select(0u, 1u, top_i[axis * MAX_KP + q] < mine);
        }
        id_rank[axis * MAX_KP + a] = rank;
    }
    workgroupBarrier();
    let m = p.kp * p.kp;
    for (var c = li; c < m; c += wg) {
        let a = c / p.kp;
        let b = c % p.kp;
        let slot = t * m + id_rank[a] * p.kp + id_rank[MAX_KP + b];
        scores[slot] = top_v[a] + top_v[MAX_KP + b];
        indices[slot] = top_i[a] * p.r + top_i[MAX_KP + b];
    }
}
#endif

// Whether (va, ia) goes before (vb, ib) in best-first order.
fn before(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
    return va > vb || (va == vb && ia < ib);
}

// Bitonic sort of sv/si[0..n] best-first; n is a power of two, uniform over the workgroup.
fn sort_best_first(li: u32, n: u32) {
    for (var size = 2u; size <= n; size <<= 1u) {
        for (var stride = size / 2u; stride > 0u; stride >>= 1u) {
            workgroupBarrier();
            for (var i = li; i < n / 2u; i += WG) {
                let lo = 2u * stride * (i / stride) + i % stride;
                let hi = lo + stride;
                let forward = (lo & size) == 0u;
                let vl = sv[lo];
                let il = si[lo];
                let vh = sv[hi];
                let ih = si[hi];
                // Ascending blocks want lo before hi, descending blocks the reverse.
                if (select(before(vl, il, vh, ih), before(vh, ih, vl, il), forward)) {
                    sv[lo] = vh;
                    si[lo] = ih;
                    sv[hi] = vl;
                    si[hi] = il;
                }
            }
        }
    }
    workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    for (var axis = 0u; axis < 2u; axis++) {
        for (var i = li; i < p.axis_pow2; i += WG) {
            if (i < p.r) {
                sv[i] = logit(t * 2u * p.r + axis * p.r + i);
                si[i] = i;
            } else {
                sv[i] = WORST;
                si[i] = 0xffffffffu;
            }
        }
        sort_best_first(li, p.axis_pow2);
        for (var i = li; i < p.kp; i += WG) {
            top_v[axis * MAX_KP + i] = sv[i];
            top_i[axis * MAX_KP + i] = si[i];
        }
        workgroupBarrier();
    }
#if ALL
    write_all_candidates(t, li, WG);
    return;
#endif
    if (li == 0u) {
        var acc = 0u;
        for (var q = 0u; q < p.kp; q++) {
            row_start[q] = acc;
            acc += min(p.kp, p.k / (q + 1u));
        }
    }
    for (var i = li; i < p.cand_pow2; i += WG) {
        sv[i] = WORST;
        si[i] = 0xffffffffu;
    }
    workgroupBarrier();
    for (var a = li; a < p.kp; a += WG) {
        let count = min(p.kp, p.k / (a + 1u));
        for (var b = 0u; b < count; b++) {
            let slot = row_start[a] + b;
            sv[slot] = top_v[a] + top_v[MAX_KP + b];
            si[slot] = top_i[a] * p.r + top_i[MAX_KP + b];
        }
    }
    sort_best_first(li, p.cand_pow2);
    for (var i = li; i < p.k; i += WG) {
        scores[t * p.k + i] = sv[i];
        indices[t * p.k + i] = si[i];
    }
}

// The selection by rank (shared/topk_rank.wgsl, which router_experts.wgsl shares; it declares MAX_KP,
// WORST, top_v and top_i too): one workgroup of 128 per token.
#import topk_rank

fn chosen(t: u32, rank: u32, v: f32, id: u32) {
    scores[t * p.k + rank] = v;
    indices[t * p.k + rank] = id;
}

@compute @workgroup_size(128)
fn by_rank(
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
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    rank_select(t, li, 128u);
}

#if SUBGROUP
#import router_topk/by_subgroup
#endif
