// decode_route: a token's router and expert stage in one workgroup, from x alone (decode: a few tokens).
// The same math as the router columns of the gate/up GEMM (router_logits), router_topk's by-rank selection
// with NORMALISE, and expert_token (CPU twin: cpu/decode_route.rs, which chains their twins):
//
//   z[a] = Σ_h x[h] · keys[a, h]                               a < 2R (keys = [W_x; W_y], [2R, H])
//   ℓ = per axis, log-softmax of BatchNorm(z) (eval mode: (z − μ) / √(σ² + 1e-5))
//   scores, indices: the K best ℓx[i] + ℓy[j], e = i·R + j, best first (ties: the lower id first)
//   h[k] = SiLU(u_{e_k} · x) · exp(score_k);   branch[c] = Σ_k h[k] · v_{e_k}[c]   (k in slot order)
//
// Needing nothing but x, it runs beside the gate/up GEMM, and the down projection adds the branch in its
// epilogue: a decode forward in two passes instead of three (router ∥ down projection, then the expert
// stage). Every sum runs in a fixed order (a lane's chunks in increasing order, then the lanes in lane
// order): bitwise reproducible.
//
// Launch: one workgroup of 256 (WG1024: 1024) per token (ids folded over x and y). Rows are read as chunks: eight halves
// (VEC8, f16 storage, H % 8 == 0) in one 16-byte load, or four f32 (H % 4 == 0). R ≤ 128, K' = min(R, K),
// at most 256 candidates (as router_topk's by_rank), H ≤ 1024 (WIDE: 4096; x staged in workgroup memory
// as f32).

struct Params {
    t: u32,
    h: u32,
    r: u32,
    k: u32,
    kp: u32,
    // Candidates (a, b) with (a + 1)(b + 1) ≤ K.
    cand: u32,
    // Lanes per logit: a power of two with lpl · 2R ≤ WG.
    lpl: u32,
}

#if VEC8
alias chunk_t = vec4<u32>;
const CH: u32 = 8u;
#else
alias chunk_t = vec4<f32>;
const CH: u32 = 4u;
#endif

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<chunk_t>;
@group(0) @binding(2) var<storage, read> keys: array<chunk_t>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read> up: array<chunk_t>;
@group(0) @binding(6) var<storage, read> down: array<chunk_t>;
@group(0) @binding(7) var<storage, read_write> scores: array<f32>;
@group(0) @binding(8) var<storage, read_write> indices: array<u32>;
@group(0) @binding(9) var<storage, read_write> branch: array<vec4<f32>>;

// Invocations: 256, or 1024 with WG1024 (where the adapter allows: four times the loads in flight in the
// one workgroup that reads the token's keys and experts).
#if WG1024
const WG: u32 = 1024u;
#else
const WG: u32 = 256u;
#endif
const MAX_KP: u32 = 128u;
const WORST: f32 = -3.0e38;
// Experts at a time in the dot products u · x, and lanes per expert.
const EGROUPS: u32 = 16u;
const ELANES: u32 = WG / EGROUPS;

// x of the token as f32, four values an entry: H ≤ 1024, or with WIDE ≤ 4096 (16 KiB; the host checks the
// adapter's workgroup memory).
#if WIDE
var<workgroup> xs: array<vec4<f32>, 1024>;
#else
var<workgroup> xs: array<vec4<f32>, 256>;
#endif
var<workgroup> red: array<f32, WG>;
// Each axis' values at 0 and 128 (padded with WORST to a multiple of 4).
var<workgroup> vals: array<f32, 256>;
var<workgroup> top_v: array<f32, 256>;
var<workgroup> top_i: array<u32, 256>;
var<workgroup> cand_v: array<f32, 256>;
var<workgroup> cand_i: array<u32, 256>;
var<workgroup> row_len: array<u32, 128>;
var<workgroup> zs: array<f32, 256>;
var<workgroup> weight: array<f32, 128>;
var<workgroup> expert: array<u32, 128>;

// A chunk of the branch being summed (hi unused without VEC8).
struct Acc {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// acc + w · chunk v.
fn add_chunk(acc: Acc, w: f32, v: chunk_t) -> Acc {
    let ww = vec4<f32>(w);
#if VEC8
    let a = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
    let b = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
    return Acc(fma(ww, a, acc.lo), fma(ww, b, acc.hi));
#else
    return Acc(fma(ww, v, acc.lo), acc.hi);
#endif
}

fn silu(z: f32) -> f32 {
    return z / (1.0 + exp(-z));
}

// acc + chunk v · x's chunk c, in element order.
fn chunk_fma(v: chunk_t, c: u32, acc: f32) -> f32 {
#if VEC8
    let a = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
    let b = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
    let xa = xs[2u * c];
    let xb = xs[2u * c + 1u];
    var s = fma(a.x, xa.x, acc);
    s = fma(a.y, xa.y, s);
    s = fma(a.z, xa.z, s);
    s = fma(a.w, xa.w, s);
    s = fma(b.x, xb.x, s);
    s = fma(b.y, xb.y, s);
    s = fma(b.z, xb.z, s);
    return fma(b.w, xb.w, s);
#else
    let xa = xs[c];
    var s = fma(v.x, xa.x, acc);
    s = fma(v.y, xa.y, s);
    s = fma(v.z, xa.z, s);
    return fma(v.w, xa.w, s);
#endif
}

// Σ over the chunks lane, lane + stride, … < n of row `base` of `keys` · x, in increasing order, eight
// loads requested before they are added.
fn row_dot_keys(base: u32, lane: u32, stride: u32, n: u32) -> f32 {
    var acc = 0.0;
    var c = lane;
    for (; c + 7u * stride < n; c += 8u * stride) {
        let o = base + c;
        let v0 = keys[o];
        let v1 = keys[o + stride];
        let v2 = keys[o + 2u * stride];
        let v3 = keys[o + 3u * stride];
        let v4 = keys[o + 4u * stride];
        let v5 = keys[o + 5u * stride];
        let v6 = keys[o + 6u * stride];
        let v7 = keys[o + 7u * stride];
        acc = chunk_fma(v0, c, acc);
        acc = chunk_fma(v1, c + stride, acc);
        acc = chunk_fma(v2, c + 2u * stride, acc);
        acc = chunk_fma(v3, c + 3u * stride, acc);
        acc = chunk_fma(v4, c + 4u * stride, acc);
        acc = chunk_fma(v5, c + 5u * stride, acc);
        acc = chunk_fma(v6, c + 6u * stride, acc);
        acc = chunk_fma(v7, c + 7u * stride, acc);
    }
    for (; c < n; c += stride) {
        acc = chunk_fma(keys[base + c], c, acc);
    }
    return acc;
}

// The same over a row of `up`, four loads at a time.
fn row_dot_up(base: u32, lane: u32, stride: u32, n: u32) -> f32 {
    var acc = 0.0;
    var c = lane;
    for (; c + 3u * stride < n; c += 4u * stride) {
        let v0 = up[base + c];
        let v1 = up[base + c + stride];
        let v2 = up[base + c + 2u * stride];
        let v3 = up[base + c + 3u * stride];
        acc = chunk_fma(v0, c, acc);
        acc = chunk_fma(v1, c + stride, acc);
        acc = chunk_fma(v2, c + 2u * stride, acc);
        acc = chunk_fma(v3, c + 3u * stride, acc);
    }
    for (; c < n; c += stride) {
        acc = chunk_fma(up[base + c], c, acc);
    }
    return acc;
}

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

// The place of (v, id) in best-first order among the 4·n4 values vals[at ..] (id j at element j): how
// many are larger, plus how many equal ones have a lower id.
fn axis_rank(at: u32, n4: u32, v: f32, id: u32) -> u32 {
    var larger = 0u;
    var lower = 0u;
    for (var j = 0u; j < 4u * n4; j++) {
        let w = vals[at + j];
        larger += select(0u, 1u, w > v);
        lower += select(0u, 1u, w == v && j < id);
    }
    return larger + lower;
}

// The place of candidate (v, id) among the n candidates (ties by expert id).
fn cand_rank(n: u32, v: f32, id: u32) -> u32 {
    var place = 0u;
    for (var j = 0u; j < n; j++) {
        let w = cand_v[j];
        place += select(0u, 1u, w > v || (w == v && cand_i[j] < id));
    }
    return place;
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
    let chunks = p.h / CH;
    let r = p.r;
    // x as f32 in workgroup memory.
    for (var c = li; c < chunks; c += WG) {
        let v = x[t * chunks + c];
#if VEC8
        xs[2u * c] = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
        xs[2u * c + 1u] = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
#else
        xs[c] = v;
#endif
    }
    workgroupBarrier();

    // The logits: lpl lanes a key, each summing its chunks, then the lanes in lane order.
    let a = li / p.lpl;
    let lane = li % p.lpl;
    var part = 0.0;
    if (a < 2u * r) {
        part = row_dot_keys(a * chunks, lane, p.lpl, chunks);
    }
    red[li] = part;
    workgroupBarrier();
    if (lane == 0u && a < 2u * r) {
        var z = 0.0;
        for (var l = 0u; l < p.lpl; l++) {
            z += red[li + l];
        }
        zs[a] = z;
    }
    workgroupBarrier();

    // BatchNorm and a log-softmax per axis (router_topk's by_rank with NORMALISE).
    let r4 = (r + 3u) / 4u;
    let n = p.cand;
    if (li >= r && li < 4u * r4) {
        vals[li] = WORST;
        vals[128u + li] = WORST;
    }
    if (li < p.kp) {
        row_len[li] = min(p.kp, p.k / (li + 1u));
    }
    let mine = li < r;
    var ax = -3.0e38;
    var ay = -3.0e38;
    if (mine) {
        ax = (zs[li] - mean[li]) / sqrt(variance[li] + 1e-5);
        ay = (zs[r + li] - mean[r + li]) / sqrt(variance[r + li] + 1e-5);
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
    workgroupBarrier();

    // The K' best of each axis by rank, one value an invocation.
    let axis = li / 128u;
    let i = li % 128u;
    if (li < 256u && i < r) {
        let v = vals[axis * 128u + i];
        let rank = axis_rank(axis * 128u, r4, v, i);
        if (rank < p.kp) {
            top_v[axis * MAX_KP + rank] = v;
            top_i[axis * MAX_KP + rank] = i;
        }
    }
    workgroupBarrier();
    // The candidates (a, b) with (a+1)(b+1) ≤ K, row a starting at Σ_{q<a} min(K', K/(q+1)).
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
    // The K best candidates by rank: the token's scores and experts.
    if (li < n) {
        let v = cand_v[li];
        let id = cand_i[li];
        let rank = cand_rank(n, v, id);
        if (rank < p.k) {
            scores[t * p.k + rank] = v;
            indices[t * p.k + rank] = id;
            weight[rank] = v;
            expert[rank] = id;
        }
    }
    workgroupBarrier();

    // h[k] = SiLU(u_e · x) · exp(score): ELANES lanes an expert, their sums added in lane order.
    let g = li / ELANES;
    let el = li % ELANES;
    for (var k0 = 0u; k0 < p.k; k0 += EGROUPS) {
        let slot = k0 + g;
        var acc = 0.0;
        var score = 0.0;
        if (slot < p.k) {
            score = weight[slot];
            acc = row_dot_up(expert[slot] * chunks, el, ELANES, chunks);
        }
        red[li] = acc;
        workgroupBarrier();
        if (slot < p.k && el == 0u) {
            var s = 0.0;
            for (var l = 0u; l < ELANES; l++) {
                s += red[li + l];
            }
            weight[slot] = silu(s) * exp(score);
        }
        workgroupBarrier();
    }

    // branch = Σ_k h[k] · v_{e_k}, k in slot order: one chunk of columns an invocation at a time, four
    // experts' loads requested before they are added.
    for (var c = li; c < chunks; c += WG) {
        var acc = Acc(vec4<f32>(0.0), vec4<f32>(0.0));
        var k = 0u;
        for (; k + 3u < p.k; k += 4u) {
            let v0 = down[expert[k] * chunks + c];
            let v1 = down[expert[k + 1u] * chunks + c];
            let v2 = down[expert[k + 2u] * chunks + c];
            let v3 = down[expert[k + 3u] * chunks + c];
            acc = add_chunk(acc, weight[k], v0);
            acc = add_chunk(acc, weight[k + 1u], v1);
            acc = add_chunk(acc, weight[k + 2u], v2);
            acc = add_chunk(acc, weight[k + 3u], v3);
        }
        for (; k < p.k; k++) {
            acc = add_chunk(acc, weight[k], down[expert[k] * chunks + c]);
        }
#if VEC8
        branch[t * (p.h / 4u) + 2u * c] = acc.lo;
        branch[t * (p.h / 4u) + 2u * c + 1u] = acc.hi;
#else
        branch[t * (p.h / 4u) + c] = acc.lo;
#endif
    }
}
