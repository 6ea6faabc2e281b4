// topk_rank: router_topk's selection by rank (its `by_rank` entry point) as a function of the token and the
// workgroup's size, for router_topk.wgsl and router_experts.wgsl. The importer declares `p` (fields t, r,
// k, kp, cand), `logit(o)` (element o of the token rows' [T, 2R] logits), with NORMALISE `mean` and
// `variance`, and `chosen(t, rank, v, id)`, which takes the token's rank-th choice; with ALL (router_topk
// only) `write_all_candidates`.

const MAX_KP: u32 = 128u;
const WORST: f32 = -3.0e38;
var<workgroup> top_v: array<f32, 256>;
var<workgroup> top_i: array<u32, 256>;

// by_rank: the token's values per axis (axis a at element a·128, padded with WORST to a multiple of 4), its
// candidates (padded likewise), and the length of each candidate row; flat scalar arrays, read four at a
// time (no vector element picked by a run-time index, no division in a loop).
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
// One level of the tree over red[0..128) and red[128..256): red[j] = red[j] op red[j + s] for j < s.
fn tree_level(li: u32, s: u32, is_max: bool) {
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

#if SG_TREE
// SG_TREE (a fixed subgroup size SG, a power of two up to 128; the importer's entry point sets sg_lane to
// its subgroup_invocation_id): the tree below with its levels under SG done by subgroupShuffleDown
// instead of through workgroup memory: the same pairs added in the same order (lane j takes lane j + s
// as red[j] takes red[j + s]), so the same bits, with 4 barriers instead of 9 at SG = 32. Every
// subgroup reduces the same SG values, so every invocation gets the result from its own lane 0.
override SG: u32 = 32u;
var<private> sg_lane: u32;

fn reduce_axes(li: u32, is_max: bool) -> vec2<f32> {
    for (var s = 64u; s >= SG; s >>= 1u) {
        workgroupBarrier();
        tree_level(li, s, is_max);
    }
    workgroupBarrier();
    var x = red[sg_lane];
    var y = red[128u + sg_lane];
    for (var s = SG / 2u; s > 0u; s >>= 1u) {
        let xs = subgroupShuffleDown(x, s);
        let ys = subgroupShuffleDown(y, s);
        if (is_max) {
            x = max(x, xs);
            y = max(y, ys);
        } else {
            x = x + xs;
            y = y + ys;
        }
    }
    let v = vec2<f32>(subgroupShuffle(x, 0u), subgroupShuffle(y, 0u));
    workgroupBarrier();
    return v;
}
#else
// Tree reduction (max or sum) of red[0..128) and red[128..256) at once; every invocation gets both.
fn reduce_axes(li: u32, is_max: bool) -> vec2<f32> {
    for (var s = 64u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        tree_level(li, s, is_max);
    }
    workgroupBarrier();
    let v = vec2<f32>(red[0], red[128]);
    workgroupBarrier();
    return v;
}
#endif
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

// Selects token t's K best experts by rank with the workgroup's `wg` invocations (128 or more; those from
// 128 on take part in the loops and barriers only) and hands each to `chosen`. Call from uniform control
// flow.
fn rank_select(t: u32, li: u32, wg: u32) {
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
    if (li < 128u) {
        red[li] = ax;
        red[128u + li] = ay;
    }
    let m = reduce_axes(li, true);
    var ex = 0.0;
    var ey = 0.0;
    if (mine) {
        ex = exp(ax - m.x);
        ey = exp(ay - m.y);
    }
    if (li < 128u) {
        red[li] = ex;
        red[128u + li] = ey;
    }
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
    for (var s = li; s < 2u * per_axis; s += wg) {
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
    write_all_candidates(t, li, wg);
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
    for (var s = li; s < n; s += wg) {
        let v = cand_v[s];
        let id = cand_i[s];
        let rank = cand_rank(n4, v, id);
        if (rank < p.k) {
            chosen(t, rank, v, id);
        }
    }
}
