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
// - `main`, any R ≤ 1024 (≤ 2048 with AXIS2048): one workgroup of WG (32…256, a pipeline constant) per
//   token (ids folded over x and y); bitonic sorts in workgroup memory over power-of-two sizes given by
//   the host (`axis_pow2` ≥ R, `cand_pow2` ≥ candidate count, both ≤ the sort buffers).
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
const MAX_KP: u32 = 128u;
const WORST: f32 = -3.0e38;

// Sort buffers: 1024 elements, 2048 with AXIS2048 (R from 1025 to 2048; 16 KiB).
#if AXIS2048
const SORT_N: u32 = 2048u;
#else
const SORT_N: u32 = 1024u;
#endif
var<workgroup> sv: array<f32, SORT_N>;
var<workgroup> si: array<u32, SORT_N>;
var<workgroup> top_v: array<f32, 256>;
var<workgroup> top_i: array<u32, 256>;
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
        ax = (logit(z0 + li) - mean[li]) / sqrt(variance[li] + 1e-5);
        ay = (logit(z0 + r + li) - mean[r + li]) / sqrt(variance[r + li] + 1e-5);
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
        vals[li] = logit(t * 2u * r + li);
        vals[128u + li] = logit(t * 2u * r + r + li);
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
#if ALL
    write_all_candidates(t, li, RANK_WG);
    return;
#endif
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

#if SUBGROUP
// by_subgroup: one subgroup of S lanes per token, no workgroup memory and no barriers: lane l holds the
// values l and S + l of each axis (R ≤ 2S) and the candidates l and S + l (≤ 2S of them); ranks count over
// values passed round with subgroupShuffle, the K' best of each axis reach every lane through a ballot
// for each place. Same order as by_rank (larger first, lower index first on ties), so the same selection;
// with NORMALISE the axis max and sum are subgroup reductions (their order is the adapter's, fixed for it).
// Launch: workgroups of 128 = 128/S tokens each (the host gives ⌈T / (128/S)⌉, S fixed on the adapter).

// 1 where (w, wi) goes before (v, id) in best-first order.
fn goes_before(w: f32, wi: u32, v: f32, id: u32) -> u32 {
    return select(0u, 1u, w > v || (w == v && wi < id));
}

// The lowest lane set in a ballot.
fn first_lane(b: vec4<u32>) -> u32 {
    if (b.x != 0u) {
        return countTrailingZeros(b.x);
    }
    if (b.y != 0u) {
        return 32u + countTrailingZeros(b.y);
    }
    if (b.z != 0u) {
        return 64u + countTrailingZeros(b.z);
    }
    return 96u + countTrailingZeros(b.w);
}

@compute @workgroup_size(128)
fn by_subgroup(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(subgroup_id) sg: u32,
    @builtin(subgroup_size) ss: u32,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let t = (wid.x + wid.y * nwg.x) * (128u / ss) + sg;
    // Lanes of a token past T still take part in the subgroup operations; they write nothing.
    let live = t < p.t;
    let tt = min(t, p.t - 1u);
    let r = p.r;
    let i0 = lane;
    let i1 = ss + lane;
    let h0 = i0 < r;
    let h1 = i1 < r;
    let z0 = tt * 2u * r;
    var x0 = WORST;
    var x1 = WORST;
    var y0 = WORST;
    var y1 = WORST;
#if NORMALISE
    if (h0) {
        x0 = (logit(z0 + i0) - mean[i0]) / sqrt(variance[i0] + 1e-5);
        y0 = (logit(z0 + r + i0) - mean[r + i0]) / sqrt(variance[r + i0] + 1e-5);
    }
    if (h1) {
        x1 = (logit(z0 + i1) - mean[i1]) / sqrt(variance[i1] + 1e-5);
        y1 = (logit(z0 + r + i1) - mean[r + i1]) / sqrt(variance[r + i1] + 1e-5);
    }
    let mx = subgroupMax(max(x0, x1));
    let my = subgroupMax(max(y0, y1));
    var ex = 0.0;
    var ey = 0.0;
    if (h0) {
        ex += exp(x0 - mx);
        ey += exp(y0 - my);
    }
    if (h1) {
        ex += exp(x1 - mx);
        ey += exp(y1 - my);
    }
    let lx = mx + log(subgroupAdd(ex));
    let ly = my + log(subgroupAdd(ey));
    if (h0) {
        x0 -= lx;
        y0 -= ly;
    }
    if (h1) {
        x1 -= lx;
        y1 -= ly;
    }
#else
    if (h0) {
        x0 = logit(z0 + i0);
        y0 = logit(z0 + r + i0);
    }
    if (h1) {
        x1 = logit(z0 + i1);
        y1 = logit(z0 + r + i1);
    }
#endif
    // Step 1: each value's place in its axis.
    var rx0 = 0u;
    var rx1 = 0u;
    var ry0 = 0u;
    var ry1 = 0u;
    // goes_before with the indices' order known: value j of the first half goes before value i0 = lane
    // on a tie only if j < lane, before i1 = S + lane always on a tie; value j of the second half goes
    // before i0 only if larger, before i1 on a tie only if j − S < lane.
    for (var j = 0u; j < min(r, ss); j++) {
        let wx = subgroupShuffle(x0, j);
        let wy = subgroupShuffle(y0, j);
        let low = j < lane;
        rx0 += select(0u, 1u, select(wx > x0, wx >= x0, low));
        ry0 += select(0u, 1u, select(wy > y0, wy >= y0, low));
        rx1 += select(0u, 1u, wx >= x1);
        ry1 += select(0u, 1u, wy >= y1);
    }
    for (var j = ss; j < r; j++) {
        let wx = subgroupShuffle(x1, j - ss);
        let wy = subgroupShuffle(y1, j - ss);
        let low = j - ss < lane;
        rx0 += select(0u, 1u, wx > x0);
        ry0 += select(0u, 1u, wy > y0);
        rx1 += select(0u, 1u, select(wx > x1, wx >= x1, low));
        ry1 += select(0u, 1u, select(wy > y1, wy >= y1, low));
    }
    // Step 2: this lane's candidates c0 = lane, c1 = S + lane, from the K' best of each axis.
    let n = p.cand;
    // Lane a < K' holds where row a starts (K' ≤ S wherever this entry point runs: row 0 alone has K'
    // candidates and every other row one, so 2K' − 1 ≤ 2S); candidate c's row is the number of rows
    // after the first that start at or before it.
    let len_l = select(0u, min(p.kp, p.k / (lane + 1u)), lane < p.kp);
    let start_l = subgroupExclusiveAdd(len_l);
    var row0 = 0u;
    var row1 = 0u;
    for (var a = 1u; a < p.kp; a++) {
        let s = subgroupShuffle(start_l, a);
        row0 += select(0u, 1u, s <= lane);
        row1 += select(0u, 1u, s <= ss + lane);
    }
    let ab0 = vec2<u32>(row0, lane - subgroupShuffle(start_l, row0));
    let ab1 = vec2<u32>(row1, ss + lane - subgroupShuffle(start_l, row1));
    var cx0 = 0.0;
    var cx1 = 0.0;
    var cy0 = 0.0;
    var cy1 = 0.0;
    var ix0 = 0u;
    var ix1 = 0u;
    var iy0 = 0u;
    var iy1 = 0u;
    for (var a = 0u; a < p.kp; a++) {
        let own_x0 = h0 && rx0 == a;
        let own_y0 = h0 && ry0 == a;
        let sx = first_lane(subgroupBallot(own_x0 || (h1 && rx1 == a)));
        let sy = first_lane(subgroupBallot(own_y0 || (h1 && ry1 == a)));
        let xv = subgroupShuffle(select(x1, x0, own_x0), sx);
        let xi = subgroupShuffle(select(i1, i0, own_x0), sx);
        let yv = subgroupShuffle(select(y1, y0, own_y0), sy);
        let yi = subgroupShuffle(select(i1, i0, own_y0), sy);
        if (ab0.x == a) {
            cx0 = xv;
            ix0 = xi;
        }
        if (ab0.y == a) {
            cy0 = yv;
            iy0 = yi;
        }
        if (ab1.x == a) {
            cx1 = xv;
            ix1 = xi;
        }
        if (ab1.y == a) {
            cy1 = yv;
            iy1 = yi;
        }
    }
    var cv0 = WORST;
    var cv1 = WORST;
    var ci0 = 0xffffffffu;
    var ci1 = 0xffffffffu;
    if (lane < n) {
        cv0 = cx0 + cy0;
        ci0 = ix0 * r + iy0;
    }
    if (ss + lane < n) {
        cv1 = cx1 + cy1;
        ci1 = ix1 * r + iy1;
    }
    // Step 3: each candidate's place among them all; the K best are written.
    var rc0 = 0u;
    var rc1 = 0u;
    for (var j = 0u; j < min(n, ss); j++) {
        let w = subgroupShuffle(cv0, j);
        let wi = subgroupShuffle(ci0, j);
        rc0 += goes_before(w, wi, cv0, ci0);
        rc1 += goes_before(w, wi, cv1, ci1);
    }
    for (var j = ss; j < n; j++) {
        let w = subgroupShuffle(cv1, j - ss);
        let wi = subgroupShuffle(ci1, j - ss);
        rc0 += goes_before(w, wi, cv0, ci0);
        rc1 += goes_before(w, wi, cv1, ci1);
    }
    if (live && lane < n && rc0 < p.k) {
        scores[t * p.k + rc0] = cv0;
        indices[t * p.k + rc0] = ci0;
    }
    if (live && ss + lane < n && rc1 < p.k) {
        scores[t * p.k + rc1] = cv1;
        indices[t * p.k + rc1] = ci1;
    }
}
#endif
