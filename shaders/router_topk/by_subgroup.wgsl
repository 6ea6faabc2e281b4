// router_topk's `by_subgroup` entry point (see router_topk.wgsl, which imports this file where the
// variant has SUBGROUP, after `by_rank`).

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
