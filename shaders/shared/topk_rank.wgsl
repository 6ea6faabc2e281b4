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
// time (no vector element picked by a run-time index). No invocation runs a loop of dependent steps
// whose length grows with K: the rows' starts and the candidates are one pair (a, q) or (a, b) an
// invocation (on an H100 the candidates built a row an invocation took 2.2 µs of the selection's ~5).
var<workgroup> vals: array<f32, 256>;
var<workgroup> red: array<f32, 256>;
var<workgroup> cand_v: array<f32, 256>;
var<workgroup> cand_i: array<u32, 256>;
var<workgroup> row_len: array<u32, 128>;
// Where candidate row a starts, Σ_{q<a} row_len[q]: summed by one invocation a pair (a, q) (a sum of
// integers, so in any order the same).
var<workgroup> cand_start: array<atomic<u32>, 128>;

#if NORMALISE
// The normalisation's two reductions each have an array of their own (the max `red`, the sum `red_sum`),
// so that the sum's values can be stored while the max is still being read: no barrier after a reduction.
var<workgroup> red_sum: array<f32, 256>;

fn red_at(i: u32, is_max: bool) -> f32 {
    if (is_max) {
        return red[i];
    }
    return red_sum[i];
}

// The reductions' operation on both axes at once.
fn red_op(a: vec2<f32>, b: vec2<f32>, is_max: bool) -> vec2<f32> {
    if (is_max) {
        return max(a, b);
    }
    return a + b;
}

// Element j of both axes (x at j, y at 128 + j).
fn red_pair(j: u32, is_max: bool) -> vec2<f32> {
    return vec2<f32>(red_at(j, is_max), red_at(128u + j, is_max));
}
#endif

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
        let x4 = vec4<f32>(red_at(j, is_max), red_at(j + 1u, is_max), red_at(j + 2u, is_max), red_at(j + 3u, is_max));
        let y4 = vec4<f32>(
            red_at(128u + j, is_max),
            red_at(129u + j, is_max),
            red_at(130u + j, is_max),
            red_at(131u + j, is_max),
        );
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
// One level of the tree over red[0..128) and red[128..256) (red_sum's for the sum): red[j] = red[j] op
// red[j + s] for j < s.
fn tree_level(li: u32, s: u32, is_max: bool) {
    if (li < s) {
        let o = li + 128u;
        if (is_max) {
            red[li] = max(red[li], red[li + s]);
            red[o] = max(red[o], red[o + s]);
        } else {
            red_sum[li] = red_sum[li] + red_sum[li + s];
            red_sum[o] = red_sum[o] + red_sum[o + s];
        }
    }
}

#if SG_TREE
// SG_TREE (a fixed subgroup size SG, a power of two from 4 to 128; the importer's entry point sets
// sg_lane to its subgroup_invocation_id): the tree below, the same pairs added in the same order, so the
// same bits, with one barrier where SG ≥ 32: the levels from 64 down to max(SG, 32) in registers, lane j
// reading the 128 / SG elements it needs (level s pairs element j with j + s), those down to SG through
// workgroup memory where SG < 32, then the levels under SG by subgroupShuffleDown (lane j takes lane j + s
// as element j takes j + s). Every subgroup reduces the same values, so every invocation gets the result
// from its own lane 0.
override SG: u32 = 32u;
var<private> sg_lane: u32;

// Level s of the tree at element j (j < s), for s = 128, 64, 32 (SG_TREE, SG ≥ 32).
fn tree_at(j: u32, s: u32, is_max: bool) -> vec2<f32> {
    var v = red_pair(j, is_max);
    if (s <= 64u) {
        v = red_op(v, red_pair(j + 64u, is_max), is_max);
    }
    if (s <= 32u) {
        let w = red_op(red_pair(j + 32u, is_max), red_pair(j + 96u, is_max), is_max);
        v = red_op(v, w, is_max);
    }
    return v;
}

fn reduce_axes(li: u32, is_max: bool) -> vec2<f32> {
    workgroupBarrier();
    var v: vec2<f32>;
    if (SG >= 32u) {
        v = tree_at(sg_lane, SG, is_max);
    } else {
        // Level 32 in registers by the first 32 invocations (each writes only the element it alone
        // reads), then the levels down to SG through workgroup memory.
        if (li < 32u) {
            let w = tree_at(li, 32u, is_max);
            if (is_max) {
                red[li] = w.x;
                red[128u + li] = w.y;
            } else {
                red_sum[li] = w.x;
                red_sum[128u + li] = w.y;
            }
        }
        for (var s = 16u; s >= SG; s >>= 1u) {
            workgroupBarrier();
            tree_level(li, s, is_max);
        }
        workgroupBarrier();
        v = red_pair(sg_lane, is_max);
    }
    for (var s = SG / 2u; s > 0u; s >>= 1u) {
        let d = vec2<f32>(subgroupShuffleDown(v.x, s), subgroupShuffleDown(v.y, s));
        v = red_op(v, d, is_max);
    }
    return vec2<f32>(subgroupShuffle(v.x, 0u), subgroupShuffle(v.y, 0u));
}
#else
// Tree reduction (max or sum) of red[0..128) and red[128..256) at once; every invocation gets both.
fn reduce_axes(li: u32, is_max: bool) -> vec2<f32> {
    for (var s = 64u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        tree_level(li, s, is_max);
    }
    workgroupBarrier();
    return vec2<f32>(red_at(0u, is_max), red_at(128u, is_max));
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
    // This invocation's logits (element li of each axis, when li < R), requested first: the set-up below
    // runs while they come.
    let mine = li < r;
    var zx = 0.0;
    var zy = 0.0;
#if NORMALISE
    var mx = 0.0;
    var my = 0.0;
    var vx = 0.0;
    var vy = 0.0;
#endif
    if (mine) {
        let z0 = t * 2u * r;
        zx = logit(z0 + li);
        zy = logit(z0 + r + li);
#if NORMALISE
        mx = mean[li];
        my = mean[r + li];
        vx = variance[li];
        vy = variance[r + li];
#endif
    }
    // Padding of each axis and of the candidates up to a multiple of 4, the candidate rows' lengths and
    // starts.
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
        atomicStore(&cand_start[li], 0u);
    }
#if NORMALISE
    // This invocation's value of each axis: element li of x and of y (when li < R).
    var ax = -3.0e38;
    var ay = -3.0e38;
    if (mine) {
        ax = (zx - mx) / sqrt(vx + 1e-5);
        ay = (zy - my) / sqrt(vy + 1e-5);
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
        red_sum[li] = ex;
        red_sum[128u + li] = ey;
    }
    let lse = m + log(reduce_axes(li, false));
    if (mine) {
        vals[li] = ax - lse.x;
        vals[128u + li] = ay - lse.y;
    }
#else
    if (mine) {
        vals[li] = zx;
        vals[128u + li] = zy;
    }
#endif
    workgroupBarrier();
    // The candidate rows' starts (row_len and the zeros stored before the barrier above).
    let kp = p.kp;
    for (var s = li; s < kp * kp; s += wg) {
        let a = s / kp;
        let q = s - a * kp;
        if (q < a) {
            atomicAdd(&cand_start[a], row_len[q]);
        }
    }
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
    // Step 2: the candidates (a, b) with (a + 1)(b + 1) ≤ K, row a from cand_start[a], one pair an
    // invocation.
    for (var s = li; s < kp * kp; s += wg) {
        let a = s / kp;
        let b = s - a * kp;
        if (b < row_len[a]) {
            let c = atomicLoad(&cand_start[a]) + b;
            cand_v[c] = top_v[a] + top_v[MAX_KP + b];
            cand_i[c] = top_i[a] * r + top_i[MAX_KP + b];
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
