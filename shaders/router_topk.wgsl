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
//   log-softmax per axis with max and sum as fixed-shape trees, or with FLAT read whole by every
//   invocation in a fixed order): the router is one dispatch.

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

// by_rank: the token's values per axis (axis a at element a·128, padded with WORST to a multiple of 4), its
// candidates (padded likewise), and the length of each candidate row; flat scalar arrays, read four at a
// time (no vector element picked by a run-time index, no division in a loop).
const RANK_WG: u32 = 128u;
var<workgroup> vals: array<f32, 256>;
var<workgroup> red: array<f32, 256>;
var<workgroup> cand_v: array<f32, 256>;
var<workgroup> cand_i: array<u32, 256>;
var<workgroup> row_len: array<u32, 128>;

#if NORMALISE
#if FLAT
// Max or sum of red[0..R) and red[128..128 + R), every invocation reading all of them (broadcast loads,
// four running values in a fixed order): two barriers instead of a tree's seven levels.
fn reduce_axes(li: u32, is_max: bool) -> vec2<f32> {
    workgroupBarrier();
    let r4 = (p.r + 3u) / 4u * 4u;
    var init = 0.0;
    if (is_max) {
        init = -3.0e38;
    }
    var ax = vec4<f32>(init);
    var ay = vec4<f32>(init);
    for (var j = 0u; j < r4; j += 4u) {
        let x4 = vec4<f32>(red[j], red[j + 1u], red[j + 2u], red[j + 3u]);
        let y4 = vec4<f32>(red[128u + j], red[129u + j], red[130u + j], red[131u + j]);
        if (is_max) {
            ax = max(ax, x4);
            ay = max(ay, y4);
        } else {
            ax += x4;
            ay += y4;
        }
    }
    workgroupBarrier();
    if (is_max) {
        return vec2<f32>(max(max(ax.x, ax.y), max(ax.z, ax.w)), max(max(ay.x, ay.y), max(ay.z, ay.w)));
    }
    return vec2<f32>((ax.x + ax.y) + (ax.z + ax.w), (ay.x + ay.y) + (ay.z + ay.w));
}
#else
// Tree reduction (max or sum) of red[0..128) and red[128..256) at once; every invocation gets both.
fn reduce_axes(li: u32, is_max: bool) -> vec2<f32> {
    for (var s = 64u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (li < s) {
            let o = li + 128u;
            if (is_max) {
                red[li] = max(red[li], red[li + s]);
                red[o] = max(red[o], red[o + s]);
            } else {
                red[li] = red[li] + red[li + s];
                red[o] = red[o] + red[o + s];
            }
        }
    }
    workgroupBarrier();
    let v = vec2<f32>(red[0], red[128]);
    workgroupBarrier();
    return v;
}
#endif
#endif

// The place of (v, id) in best-first order among the 4·n4 values vals[at ..] (id j at element j): how
// many are larger, plus how many equal ones have a lower id. Ties are rare, so the common case counts
// "larger" and "larger or equal" four at a time and stops there when v is the only value equal to itself.
fn axis_rank(at: u32, n4: u32, v: f32, id: u32) -> u32 {
    let vv = vec4<f32>(v);
    var gt = vec4<u32>(0u);
    var ge = vec4<u32>(0u);
    for (var j = 0u; j < 4u * n4; j += 4u) {
        let w = vec4<f32>(vals[at + j], vals[at + j + 1u], vals[at + j + 2u], vals[at + j + 3u]);
        gt += select(vec4<u32>(0u), vec4<u32>(1u), w > vv);
        ge += select(vec4<u32>(0u), vec4<u32>(1u), w >= vv);
    }
    let larger = gt.x + gt.y + gt.z + gt.w;
    if (ge.x + ge.y + ge.z + ge.w == larger + 1u) {
        return larger;
    }
    var lower = 0u;
    for (var j = 0u; j < id; j++) {
        lower += select(0u, 1u, vals[at + j] == v);
    }
    return larger + lower;
}

// The place of candidate (v, id) among the 4·n4 candidates, counted as in axis_rank (ties by expert id).
fn cand_rank(n4: u32, v: f32, id: u32) -> u32 {
    let vv = vec4<f32>(v);
    var gt = vec4<u32>(0u);
    var ge = vec4<u32>(0u);
    for (var j = 0u; j < 4u * n4; j += 4u) {
        let w = vec4<f32>(cand_v[j], cand_v[j + 1u], cand_v[j + 2u], cand_v[j + 3u]);
        gt += select(vec4<u32>(0u), vec4<u32>(1u), w > vv);
        ge += select(vec4<u32>(0u), vec4<u32>(1u), w >= vv);
    }
    let larger = gt.x + gt.y + gt.z + gt.w;
    if (ge.x + ge.y + ge.z + ge.w == larger + 1u) {
        return larger;
    }
    var lower = 0u;
    for (var j = 0u; j < 4u * n4; j++) {
        lower += select(0u, 1u, cand_v[j] == v && cand_i[j] < id);
    }
    return larger + lower;
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
    let n = p.cand;
    let n4 = (n + 3u) / 4u;
    // Padding of each axis and of the candidates up to a multiple of 4, and the candidate row lengths.
    if (li >= r && li < 4u * r4) {
        vals[li] = WORST;
        vals[128u + li] = WORST;
    }
    if (li < 4u * n4 - n) {
        cand_v[n + li] = WORST;
        cand_i[n + li] = 0xffffffffu;
    }
    if (li < p.kp) {
        row_len[li] = min(p.kp, p.k / (li + 1u));
    }
#if NORMALISE
    // This invocation's value of each axis: element li of x and of y (when li < R).
    let mine = li < r;
    var ax = -3.0e38;
    var ay = -3.0e38;
    if (mine) {
        let z0 = t * 2u * r;
        ax = (ell[z0 + li] - mean[li]) / sqrt(variance[li] + 1e-5);
        ay = (ell[z0 + r + li] - mean[r + li]) / sqrt(variance[r + li] + 1e-5);
    }
    red[li] = ax;
    red[128u + li] = ay;
    let m = reduce_axes(li, true);
    var ex = 0.0;
    var ey = 0.0;
    if (mine) {
        ex = exp(ax - m.x);
        ey = exp(ay - m.y);
    }
    red[li] = ex;
    red[128u + li] = ey;
    let lse = m + log(reduce_axes(li, false));
    if (mine) {
        vals[li] = ax - lse.x;
        vals[128u + li] = ay - lse.y;
    }
#else
    if (li < r) {
        vals[li] = ell[t * 2u * r + li];
        vals[128u + li] = ell[t * 2u * r + r + li];
    }
#endif
    workgroupBarrier();
    // Step 1: the K' best of each axis, by rank; R ≤ 64 takes one value per invocation, else two.
    let per_axis = select(128u, 64u, r <= 64u);
    for (var s = li; s < 2u * per_axis; s += RANK_WG) {
        let axis = s / per_axis;
        let i = s % per_axis;
        if (i < r) {
            let v = vals[axis * 128u + i];
            let rank = axis_rank(axis * 128u, r4, v, i);
            if (rank < p.kp) {
                top_v[axis * MAX_KP + rank] = v;
                top_i[axis * MAX_KP + rank] = i;
            }
        }
    }
    workgroupBarrier();
    // Step 2: the candidates (a, b) with (a+1)(b+1) ≤ K, row a starting at Σ_{q<a} min(K', K/(q+1)).
    if (li < p.kp) {
        var start = 0u;
        for (var q = 0u; q < li; q++) {
            start += row_len[q];
        }
        let va = top_v[li];
        let ia = top_i[li] * r;
        for (var b = 0u; b < row_len[li]; b++) {
            cand_v[start + b] = va + top_v[MAX_KP + b];
            cand_i[start + b] = ia + top_i[MAX_KP + b];
        }
    }
    workgroupBarrier();
    // Step 3: the K best candidates, by rank.
    for (var s = li; s < n; s += RANK_WG) {
        let v = cand_v[s];
        let id = cand_i[s];
        let rank = cand_rank(n4, v, id);
        if (rank < p.k) {
            scores[t * p.k + rank] = v;
            indices[t * p.k + rank] = id;
        }
    }
}
