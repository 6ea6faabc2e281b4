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
// Two entry points, same results:
// - `main`, any R ≤ 1024: one workgroup of WG (32…256, a pipeline constant) per token (ids folded over x
//   and y); bitonic sorts in workgroup memory over power-of-two sizes given by the host (`axis_pow2` ≥ R,
//   `cand_pow2` ≥ candidate count, both ≤ 1024).
// - `by_rank`, R ≤ 128 and at most 256 candidates: one workgroup of 128 per token; every value's place in
//   best-first order is its rank (how many values go before it), found by comparing it with all the others
//   of its list, so steps 1 and 3 take one pass each instead of a sort (four barriers instead of ~60).
//   With NORMALISE it reads the raw logits z and does router_normalise's work first (BatchNorm, then a
//   log-softmax per axis with max and sum as fixed-shape trees): the router is one dispatch.

struct Params {
    t: u32,
    r: u32,
    k: u32,
    kp: u32,
    axis_pow2: u32,
    cand_pow2: u32,
    // by_rank: the number of candidates.
    cand: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ell: array<f32>;
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;
#if NORMALISE
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
#endif

// Invocations per workgroup: a power of two from 32 to 256, chosen by the host to fit the sorts.
override WG: u32 = 256u;
const MAX_KP: u32 = 128u;
const WORST: f32 = -3.0e38;

var<workgroup> sv: array<f32, 1024>;
var<workgroup> si: array<u32, 1024>;
var<workgroup> top_v: array<f32, 256>;
var<workgroup> top_i: array<u32, 256>;
var<workgroup> row_start: array<u32, 128>;

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
                sv[i] = ell[t * 2u * p.r + axis * p.r + i];
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

// by_rank: the token's values per axis (axis a at element a·128, padded with WORST to a multiple of 4) and
// its candidates, as vec4s: a rank is 4 comparisons a load, without branches.
const RANK_WG: u32 = 128u;
var<workgroup> vals4: array<vec4<f32>, 64>;
var<workgroup> red: array<f32, 256>;
var<workgroup> cand_v4: array<vec4<f32>, 64>;
var<workgroup> cand_i4: array<vec4<u32>, 64>;

#if NORMALISE
// Tree reduction (max or sum) of red[0..128) and red[128..256) at once; every invocation gets both.
fn reduce_axes(li: u32, is_max: bool) -> vec2<f32> {
    for (var s = 64u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (li < s) {
            for (var axis = 0u; axis < 2u; axis++) {
                let o = axis * 128u + li;
                if (is_max) {
                    red[o] = max(red[o], red[o + s]);
                } else {
                    red[o] = red[o] + red[o + s];
                }
            }
        }
    }
    workgroupBarrier();
    let v = vec2<f32>(red[0], red[128]);
    workgroupBarrier();
    return v;
}
#endif

// How many of the 4·n4 (value, id) pairs in `v4`, `i4` from element `at` go before (v, id).
fn rank_among(at: u32, n4: u32, v: f32, id: u32, ids: bool) -> u32 {
    var rank = vec4<u32>(0u);
    let vv = vec4<f32>(v);
    let idv = vec4<u32>(id);
    for (var j = 0u; j < n4; j++) {
        var w: vec4<f32>;
        var wi: vec4<u32>;
        if (ids) {
            w = cand_v4[at + j];
            wi = cand_i4[at + j];
        } else {
            w = vals4[at + j];
            wi = vec4<u32>(4u * j) + vec4<u32>(0u, 1u, 2u, 3u);
        }
        let goes_before = (w > vv) | ((w == vv) & (wi < idv));
        rank += select(vec4<u32>(0u), vec4<u32>(1u), goes_before);
    }
    return rank.x + rank.y + rank.z + rank.w;
}

@compute @workgroup_size(128)
fn by_rank(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    let r = p.r;
    let r4 = (r + 3u) / 4u;
    // Padding of each axis up to a multiple of 4.
    for (var c = li; c < 2u * r4 * 4u; c += RANK_WG) {
        let axis = c / (r4 * 4u);
        let i = c % (r4 * 4u);
        if (i >= r) {
            vals4[axis * 32u + i / 4u][i % 4u] = WORST;
        }
    }
#if NORMALISE
    // This invocation's value of each axis: element li of x and of y (when li < R).
    let mine = li < r;
    var a = vec2<f32>(-3.0e38);
    if (mine) {
        for (var axis = 0u; axis < 2u; axis++) {
            let c = axis * r + li;
            a[axis] = (ell[t * 2u * r + c] - mean[c]) / sqrt(variance[c] + 1e-5);
        }
    }
    red[li] = a.x;
    red[128u + li] = a.y;
    let m = reduce_axes(li, true);
    var e = vec2<f32>(0.0);
    if (mine) {
        e = exp(a - m);
    }
    red[li] = e.x;
    red[128u + li] = e.y;
    let lse = m + log(reduce_axes(li, false));
    if (mine) {
        vals4[li / 4u][li % 4u] = a.x - lse.x;
        vals4[32u + li / 4u][li % 4u] = a.y - lse.y;
    }
#else
    for (var c = li; c < 2u * r; c += RANK_WG) {
        let axis = c / r;
        let i = c % r;
        vals4[axis * 32u + i / 4u][i % 4u] = ell[t * 2u * r + c];
    }
#endif
    workgroupBarrier();
    // Step 1: the K' best of each axis, by rank; R ≤ 64 takes one value per invocation, else two.
    let per_axis = select(128u, 64u, r <= 64u);
    for (var s = li; s < 2u * per_axis; s += RANK_WG) {
        let axis = s / per_axis;
        let i = s % per_axis;
        if (i < r) {
            let v = vals4[axis * 32u + i / 4u][i % 4u];
            let rank = rank_among(axis * 32u, r4, v, i, false);
            if (rank < p.kp) {
                top_v[axis * MAX_KP + rank] = v;
                top_i[axis * MAX_KP + rank] = i;
            }
        }
    }
    // Padding of the candidates up to a multiple of 4.
    let n = p.cand;
    let n4 = (n + 3u) / 4u;
    if (li < n4 * 4u - n) {
        let s = n + li;
        cand_v4[s / 4u][s % 4u] = WORST;
        cand_i4[s / 4u][s % 4u] = 0xffffffffu;
    }
    workgroupBarrier();
    // Step 2: the candidates (a, b) with (a+1)(b+1) ≤ K, row a starting at Σ_{q<a} min(K', K/(q+1)).
    if (li < p.kp) {
        var start = 0u;
        for (var q = 0u; q < li; q++) {
            start += min(p.kp, p.k / (q + 1u));
        }
        let count = min(p.kp, p.k / (li + 1u));
        for (var b = 0u; b < count; b++) {
            let s = start + b;
            cand_v4[s / 4u][s % 4u] = top_v[li] + top_v[MAX_KP + b];
            cand_i4[s / 4u][s % 4u] = top_i[li] * r + top_i[MAX_KP + b];
        }
    }
    workgroupBarrier();
    // Step 3: the K best candidates, by rank.
    for (var s = li; s < n; s += RANK_WG) {
        let v = cand_v4[s / 4u][s % 4u];
        let id = cand_i4[s / 4u][s % 4u];
        let rank = rank_among(0u, n4, v, id, true);
        if (rank < p.k) {
            scores[t * p.k + rank] = v;
            indices[t * p.k + rank] = id;
        }
    }
}
