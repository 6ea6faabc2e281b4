// router_axes: the decode chain's router logits, normalised and ranked per axis beside its gate/up GEMV, so
// that router_experts (AXES) starts from each axis' K' best instead of the raw logits. For one token,
// workgroup a (a = 0, 1) takes axis a:
//
//   z[j] = Σ_k x[k] · B[first + a·R + j, k]            (the router rows of the gate/up weight, j < R)
//   top_v[a, ·], top_i[a, ·] = topk_rank's rank_axes    (BatchNorm, log-softmax, the K' best by rank)
//
// Each z[j] is summed as gemv.wgsl sums a column with f16 storage and VEC8 (its LANES lanes, lane l over
// the chunks of eight l, l + LANES, … in order, then the lanes in order from zero), so it has the bits
// of the GEMV's router columns, and the normalising and ranking are router_topk's code: the same choice.
// x is staged as f16 in workgroup memory: from the token's row (X), or with PARTS made from the previous
// layer's two parts as gemv.wgsl's ASUM_HALF makes it, elem(a + a_branch).
//
// Output `axes` (u32): axis a's K' values (f32 bits) at a·2K', their ids at a·2K' + K'.
//
// Launch: 2 workgroups of 256 = COLUMNS groups of LANES lanes, the axis' R rows in blocks of COLUMNS.

struct Params {
    t: u32,
    r: u32,
    k: u32,
    kp: u32,
    cand: u32,
    // H (the GEMV's K), and the first router row of the weight.
    depth: u32,
    first: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if PARTS
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(6) var<storage, read> a_branch: array<f32>;
#else
@group(0) @binding(1) var<storage, read> a: array<f16>;
#endif
@group(0) @binding(2) var<storage, read> b: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> axes: array<u32>;

override LANES: u32 = 16u;
override COLUMNS: u32 = 256u / LANES;

var<workgroup> row_half: array<f16, 2048>;
// Two blocks' partial sums, then the axis' logits.
var<workgroup> part: array<f32, 512>;
var<workgroup> zl: array<f32, 128>;
var<private> axis: u32;

// Element o of the token's logits [2R] for rank_axes: this workgroup's axis from zl, zeros for the other
// (normalised and ranked too, never stored).
fn logit(o: u32) -> f32 {
    if (o / p.r == axis) {
        return zl[o % p.r];
    }
    return 0.0;
}

#import topk_rank

// topk_rank's rank_candidates, never called here.
fn chosen(t: u32, rank: u32, v: f32, id: u32) {}

fn unpack8(v: vec4<u32>) -> array<vec4<f32>, 2> {
    return array<vec4<f32>, 2>(
        vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)),
        vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)),
    );
}

// Chunk c of the staged row.
fn x_chunk(c: u32) -> array<vec4<f32>, 2> {
    let o = 8u * c;
    return array<vec4<f32>, 2>(
        vec4<f32>(f32(row_half[o]), f32(row_half[o + 1u]), f32(row_half[o + 2u]), f32(row_half[o + 3u])),
        vec4<f32>(f32(row_half[o + 4u]), f32(row_half[o + 5u]), f32(row_half[o + 6u]), f32(row_half[o + 7u])),
    );
}

// Weights w (a chunk of a row) times chunk c of the staged row: gemv.wgsl's row_dot for VEC8.
fn chunk_dot(w: vec4<u32>, c: u32) -> f32 {
    let wv = unpack8(w);
    let x = x_chunk(c);
    return dot(wv[0], x[0]) + dot(wv[1], x[1]);
}

// Lane `lane`'s partial sums of weight rows n and n + COLUMNS (each 0 unless valid), as gemv.wgsl sums a
// column: chunks lane, lane + LANES, … in order, four chunks of each row loaded before they are added.
fn lane_sums(n: u32, lane: u32, valid: vec2<bool>) -> vec2<f32> {
    let chunks = p.depth / 8u;
    let o0 = select(0u, n * chunks, valid.x);
    let o1 = select(0u, (n + COLUMNS) * chunks, valid.y);
    var acc = vec2<f32>(0.0);
    var c = lane;
    for (; c + 3u * LANES < chunks; c += 4u * LANES) {
        let u0 = b[o0 + c];
        let u1 = b[o0 + c + LANES];
        let u2 = b[o0 + c + 2u * LANES];
        let u3 = b[o0 + c + 3u * LANES];
        let v0 = b[o1 + c];
        let v1 = b[o1 + c + LANES];
        let v2 = b[o1 + c + 2u * LANES];
        let v3 = b[o1 + c + 3u * LANES];
        acc.x += chunk_dot(u0, c);
        acc.x += chunk_dot(u1, c + LANES);
        acc.x += chunk_dot(u2, c + 2u * LANES);
        acc.x += chunk_dot(u3, c + 3u * LANES);
        acc.y += chunk_dot(v0, c);
        acc.y += chunk_dot(v1, c + LANES);
        acc.y += chunk_dot(v2, c + 2u * LANES);
        acc.y += chunk_dot(v3, c + 3u * LANES);
    }
    for (; c < chunks; c += LANES) {
        acc.x += chunk_dot(b[o0 + c], c);
        acc.y += chunk_dot(b[o1 + c], c);
    }
    return select(vec2<f32>(0.0), acc, valid);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    axis = wid.x;
    for (var i = li; i < p.depth; i += 256u) {
#if PARTS
        row_half[i] = elem(a[i] + a_branch[i]);
#else
        row_half[i] = a[i];
#endif
    }
    workgroupBarrier();
    let g = li / LANES;
    let lane = li % LANES;
    let row0 = p.first + axis * p.r;
    // Two blocks of COLUMNS rows at a time; each row's lanes then added in lane order.
    for (var j0 = 0u; j0 < p.r; j0 += 2u * COLUMNS) {
        let j = j0 + g;
        let sums = lane_sums(row0 + j, lane, vec2<bool>(j < p.r, j + COLUMNS < p.r));
        part[li] = sums.x;
        part[256u + li] = sums.y;
        workgroupBarrier();
        if (li < 2u * COLUMNS) {
            var s = 0.0;
            for (var l = 0u; l < LANES; l++) {
                s += part[(li / COLUMNS) * 256u + (li % COLUMNS) * LANES + l];
            }
            if (j0 + li < p.r) {
                zl[j0 + li] = s;
            }
        }
        workgroupBarrier();
    }
    rank_axes(0u, li, 256u);
    if (li < p.kp) {
        let o = axis * 2u * p.kp;
        axes[o + li] = bitcast<u32>(top_v[axis * MAX_KP + li]);
        axes[o + p.kp + li] = top_i[axis * MAX_KP + li];
    }
}
