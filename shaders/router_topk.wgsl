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
// Launch: one workgroup of WG (32…256, a pipeline constant) per token (ids folded over x and y); bitonic sorts in workgroup memory over
// power-of-two sizes given by the host (`axis_pow2` ≥ R, `cand_pow2` ≥ candidate count, both ≤ 1024).

struct Params {
    t: u32,
    r: u32,
    k: u32,
    kp: u32,
    axis_pow2: u32,
    cand_pow2: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ell: array<f32>;
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;

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
