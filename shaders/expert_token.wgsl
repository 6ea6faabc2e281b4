// expert_token: the token-centric expert stage in one pass, for few tokens (decode): for token t,
//
//   h[k] = SiLU(u_{e_k} · x_t) · exp(scores[t, k])        (expert_scores.wgsl, token_centric)
//   sparse[t, c] = Σ_{k = 0..K} h[k] · v_{e_k}[c]          (expert_combine.wgsl)
//
// with the same arithmetic in the same order as those two passes, so the same bits: h is computed by the
// shared lane_dot (shared/expert_dot.wgsl) and summed over lanes in lane order, then kept in workgroup
// memory instead of going through a buffer; the combine runs over k in slot order. One dispatch instead of
// two, and no wait between them: what counts when a forward is a few microseconds of work per stage.
//
// Launch: one workgroup of 256 (16 groups of 16 lanes) per token, ids folded over x and y.

struct Params {
    t: u32,
    h: u32,
    k: u32,
    // PARTIAL (shared/expert_sum.wgsl): the down projection's K ranges, and the distance between ranges
    // in output elements.
    ranges: u32,
    zstride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#import expert_dot
@group(0) @binding(3) var<storage, read> scores: array<f32>;
@group(0) @binding(4) var<storage, read> indices: array<u32>;

#import expert_sum
var<workgroup> red: array<f32, 256>;
var<workgroup> weight: array<f32, 128>;
var<workgroup> expert: array<u32, 128>;

#if EARLY
// EARLY (VEC4): what the combine needs at an invocation's first chunk and does not depend on the scores
// is requested before them: the base (with PARTIAL up to 16 ranges' partial products) and the first 16
// slots' rows of V, all loads in flight at once. The combine then waits for none of them; the sums are
// the ones base_at and sum_slots make, in the same order.
const EARLY_N: u32 = 16u;

fn early_base(i: u32) -> array<srow, EARLY_N> {
    var b: array<srow, EARLY_N>;
#if PARTIAL
    let last = max(p.ranges, 1u) - 1u;
    b[0] = base[i];
    b[1] = base[min(1u, last) * p.zstride + i];
    b[2] = base[min(2u, last) * p.zstride + i];
    b[3] = base[min(3u, last) * p.zstride + i];
    b[4] = base[min(4u, last) * p.zstride + i];
    b[5] = base[min(5u, last) * p.zstride + i];
    b[6] = base[min(6u, last) * p.zstride + i];
    b[7] = base[min(7u, last) * p.zstride + i];
    b[8] = base[min(8u, last) * p.zstride + i];
    b[9] = base[min(9u, last) * p.zstride + i];
    b[10] = base[min(10u, last) * p.zstride + i];
    b[11] = base[min(11u, last) * p.zstride + i];
    b[12] = base[min(12u, last) * p.zstride + i];
    b[13] = base[min(13u, last) * p.zstride + i];
    b[14] = base[min(14u, last) * p.zstride + i];
    b[15] = base[min(15u, last) * p.zstride + i];
#else
    b[0] = base_at(i);
#endif
    return b;
}

// base_at(i) from early_base(i).
fn early_base_sum(b: array<srow, EARLY_N>, i: u32) -> srow {
#if PARTIAL
    var s = srow(0.0);
    if (p.ranges > 0u) {
        s += b[0];
    }
    if (p.ranges > 1u) {
        s += b[1];
    }
    if (p.ranges > 2u) {
        s += b[2];
    }
    if (p.ranges > 3u) {
        s += b[3];
    }
    if (p.ranges > 4u) {
        s += b[4];
    }
    if (p.ranges > 5u) {
        s += b[5];
    }
    if (p.ranges > 6u) {
        s += b[6];
    }
    if (p.ranges > 7u) {
        s += b[7];
    }
    if (p.ranges > 8u) {
        s += b[8];
    }
    if (p.ranges > 9u) {
        s += b[9];
    }
    if (p.ranges > 10u) {
        s += b[10];
    }
    if (p.ranges > 11u) {
        s += b[11];
    }
    if (p.ranges > 12u) {
        s += b[12];
    }
    if (p.ranges > 13u) {
        s += b[13];
    }
    if (p.ranges > 14u) {
        s += b[14];
    }
    if (p.ranges > 15u) {
        s += b[15];
    }
    for (var z = EARLY_N; z < p.ranges; z++) {
        s += base[z * p.zstride + i];
    }
    return s;
#else
    return b[0];
#endif
}

fn early_rows(t: u32, c: u32) -> array<vrow, EARLY_N> {
    let h4 = p.h / 4u;
    let first = t * p.k;
    let last = first + max(p.k, 1u) - 1u;
    var r: array<vrow, EARLY_N>;
    r[0] = down_at(indices[first], h4, c);
    r[1] = down_at(indices[min(first + 1u, last)], h4, c);
    r[2] = down_at(indices[min(first + 2u, last)], h4, c);
    r[3] = down_at(indices[min(first + 3u, last)], h4, c);
    r[4] = down_at(indices[min(first + 4u, last)], h4, c);
    r[5] = down_at(indices[min(first + 5u, last)], h4, c);
    r[6] = down_at(indices[min(first + 6u, last)], h4, c);
    r[7] = down_at(indices[min(first + 7u, last)], h4, c);
    r[8] = down_at(indices[min(first + 8u, last)], h4, c);
    r[9] = down_at(indices[min(first + 9u, last)], h4, c);
    r[10] = down_at(indices[min(first + 10u, last)], h4, c);
    r[11] = down_at(indices[min(first + 11u, last)], h4, c);
    r[12] = down_at(indices[min(first + 12u, last)], h4, c);
    r[13] = down_at(indices[min(first + 13u, last)], h4, c);
    r[14] = down_at(indices[min(first + 14u, last)], h4, c);
    r[15] = down_at(indices[min(first + 15u, last)], h4, c);
    return r;
}

// sum_slots(c, 0, p.k, 0) from early_rows(t, c).
fn early_slots(r: array<vrow, EARLY_N>, c: u32) -> vec4<f32> {
    var acc = vec4<f32>(0.0);
    if (p.k > 0u) {
        acc = fma(vec4<f32>(weight[0]), vec4<f32>(r[0]), acc);
    }
    if (p.k > 1u) {
        acc = fma(vec4<f32>(weight[1]), vec4<f32>(r[1]), acc);
    }
    if (p.k > 2u) {
        acc = fma(vec4<f32>(weight[2]), vec4<f32>(r[2]), acc);
    }
    if (p.k > 3u) {
        acc = fma(vec4<f32>(weight[3]), vec4<f32>(r[3]), acc);
    }
    if (p.k > 4u) {
        acc = fma(vec4<f32>(weight[4]), vec4<f32>(r[4]), acc);
    }
    if (p.k > 5u) {
        acc = fma(vec4<f32>(weight[5]), vec4<f32>(r[5]), acc);
    }
    if (p.k > 6u) {
        acc = fma(vec4<f32>(weight[6]), vec4<f32>(r[6]), acc);
    }
    if (p.k > 7u) {
        acc = fma(vec4<f32>(weight[7]), vec4<f32>(r[7]), acc);
    }
    if (p.k > 8u) {
        acc = fma(vec4<f32>(weight[8]), vec4<f32>(r[8]), acc);
    }
    if (p.k > 9u) {
        acc = fma(vec4<f32>(weight[9]), vec4<f32>(r[9]), acc);
    }
    if (p.k > 10u) {
        acc = fma(vec4<f32>(weight[10]), vec4<f32>(r[10]), acc);
    }
    if (p.k > 11u) {
        acc = fma(vec4<f32>(weight[11]), vec4<f32>(r[11]), acc);
    }
    if (p.k > 12u) {
        acc = fma(vec4<f32>(weight[12]), vec4<f32>(r[12]), acc);
    }
    if (p.k > 13u) {
        acc = fma(vec4<f32>(weight[13]), vec4<f32>(r[13]), acc);
    }
    if (p.k > 14u) {
        acc = fma(vec4<f32>(weight[14]), vec4<f32>(r[14]), acc);
    }
    if (p.k > 15u) {
        acc = fma(vec4<f32>(weight[15]), vec4<f32>(r[15]), acc);
    }
    return sum_slots(c, EARLY_N, p.k, acc);
}
#endif

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let t = wid.x + wid.y * nwg.x;
    if (t >= p.t) {
        return;
    }
    if (li < p.k) {
        expert[li] = indices[t * p.k + li];
    }
#if EARLY
    let h4 = p.h / 4u;
    let c0 = min(li, h4 - 1u);
    let i0 = t * h4 + c0;
    let rows = early_rows(t, c0);
    let base0 = early_base(i0);
#endif
    let g = li / LANES;
    for (var k0 = 0u; k0 < p.k; k0 += GROUPS) {
        let slot = k0 + g;
        let valid = slot < p.k;
        let pair = t * p.k + slot;
        var acc = 0.0;
        var score = 0.0;
        if (valid) {
            score = scores[pair];
            acc = lane_dot(indices[pair], t, li % LANES);
        }
        red[li] = acc;
        workgroupBarrier();
        if (valid && li % LANES == 0u) {
            var s = 0.0;
            for (var l = 0u; l < LANES; l++) {
                s += red[li + l];
            }
            weight[slot] = silu(s) * exp(score);
        }
        workgroupBarrier();
    }
#if EARLY
    if (li < h4) {
        emit(i0, early_base_sum(base0, i0), early_slots(rows, c0));
    }
    for (var c = li + WG; c < h4; c += WG) {
        sum_chunk(t, c, p.k, false);
    }
#else
    sum_experts(t, li, p.k, false);
#endif
}
