// gemv: C = A · Bᵀ for a few rows of A (M ≤ 8: decode; M ≤ 16 with ROWS16), streaming B (the weights)
// once at memory speed, with the epilogues of gemm.wgsl (plain, ADD, SWIGLU, SWIGLU with ROUTER; see
// shared/gemm_epilogue.wgsl):
//
//   acc[m, n] = Σ_k A[m, k] · B[n, k]        A: [M, K] elem (M ≤ 8, or 16), B: [N, K] elem
//
// Launch: ⌈N / COLUMNS⌉ workgroups (ids folded over x and y) of 256 invocations = COLUMNS groups of LANES
// lanes (LANES a pipeline constant: 16, 32, 64 or 128, chosen by the host so that each lane streams about
// eight chunks, or four where that brings the workgroups nearer a thousand, 128 for a narrow projection
// 2048 chunks deep or more: src/gpu/stages/gemv/mod.rs's gemv_lanes; 64 lanes a column keep even a
// 1024-column projection on 256 workgroups, 128 leave a workgroup two columns, a SwiGLU pair for
// `store`);
// group g computes column n = COLUMNS·w + g of workgroup w for every row m (invocation li is lane
// li % LANES of group li / LANES; with SLABS lane li / COLUMNS of group li % COLUMNS). Lane l sums the
// k-chunks l, l + LANES, … of its column in increasing order (a chunk is 8 consecutive k with VEC8, f16
// storage and K % 8 == 0: one 16-byte load; 4 with VEC4, K % 4 == 0; else 1), loading four chunks of B
// before it adds them (with FMA, the default for chunks of eight, each row's sum takes a chunk's products
// one fma at a time, in k order; without, the chunk's dot and then its add); then invocation (m, j) adds
// column j's LANES partial sums of row m in lane order (a fixed order: bitwise reproducible), and the
// COLUMNS × M results go through `store()`. With PAIR a group streams two columns, g and g + COLUMNS of
// the workgroup's 2 · COLUMNS, from the same loads of A's chunks, each column's sums as without (the
// same bits), reduced and stored a block of COLUMNS at a time; PAIR_ROUND (4, 2 or 1) is how many chunks
// of each a round loads; with QUAD too (the gate/up GEMV from 6 rows, gemv/quad.wgsl) four,
// g + j · COLUMNS for j = 0..4, QUAD_ROUND (2 or 1) chunks of each a round, reduced and stored two blocks
// at a time. With ROWS16 each lane also sums rows 8..16 from the same loads of B, and those go through
// the same reduction after rows 0..8 (the same sums for rows 0..8 as without: the same bits).
//
// With SPLITK the workgroups of layer z (num_workgroups.z ranges) sum only the chunks of K range z, and
// store rows z·M .. of the partial products (`first_chunk`, below).
//
// Built without runtime bounds checks (TRUSTED in src/gpu/pipelines.rs): A is read only at rows m < M,
// B at columns n < N, both at chunks below K's.

#import gemm_epilogue

#if ASUM
// ASUM (one row, K ≤ 2048: the decode chain's first GEMM, src/gpu/layer/decode.rs): A is the previous
// layer's output left in two f32 parts, its down projection (binding 1) and its expert branch (binding 6,
// router_experts.wgsl). The row is elem(a + a_branch), what the expert stage's ADD_ELEM would have stored
// (the same expression, so the same bits): each workgroup makes it once into workgroup memory, and
// workgroup 0 also stores it to binding 7, the layer's input for its passes after this one. With f16
// storage (ASUM_HALF) the row is staged as f16 in `row_half`: staged as f32 of the f16 value, the
// H100's driver dropped the rounding (f32 → f16 → f32 taken as no conversion) and the products were not
// those of the stored row. With f32 storage it goes to `part`, which takes the partial sums after it.
// ASUM4 (K % 4 == 0): the parts read and the row stored four elements at a time, each element the same
// expression.
#if ASUM4
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> a_branch: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> x_out: array<vec4<elem>>;
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(6) var<storage, read> a_branch: array<f32>;
@group(0) @binding(7) var<storage, read_write> x_out: array<elem>;
#endif
#if ASUM_HALF
var<workgroup> row_half: array<f16, 2048>;
#endif

// Element i of the staged row.
fn staged(i: u32) -> f32 {
#if ASUM_HALF
    return f32(row_half[i]);
#else
    return part[i];
#endif
}
#else
#if VEC8
@group(0) @binding(1) var<storage, read> a: array<vec4<u32>>;
#else
#if VEC4
@group(0) @binding(1) var<storage, read> a: array<vec4<elem>>;
#else
@group(0) @binding(1) var<storage, read> a: array<elem>;
#endif
#endif
#endif
#if VEC8
@group(0) @binding(2) var<storage, read> b: array<vec4<u32>>;
#else
#if VEC4
@group(0) @binding(2) var<storage, read> b: array<vec4<elem>>;
#else
@group(0) @binding(2) var<storage, read> b: array<elem>;
#endif
#endif

// A chunk of k as f32: eight values (VEC8) as two vec4s, else one vec4 (VEC4, or one value and zeros).
struct Chunk {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

fn unpack8(v: vec4<u32>) -> Chunk {
    return Chunk(
        vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)),
        vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)),
    );
}

override LANES: u32 = 64u;
override COLUMNS: u32 = 256u / LANES;
// Blocks of COLUMNS columns whose lane sums `part` holds at once: two with QUAD (gemv/quad.wgsl's
// `reduce_halves`), else one.
#if QUAD
const PART_BLOCKS: u32 = 2u;
#else
const PART_BLOCKS: u32 = 1u;
#endif
// Partial sums (8 rows of 256 invocations a block, each row of sums padded: see `slot`), then results
// [row][column] (a row of PART_BLOCKS · COLUMNS + 1, at most 8 · (16 · PART_BLOCKS + 1)).
var<workgroup> part: array<f32, 2176u * PART_BLOCKS>;
var<workgroup> res: array<f32, 136u * PART_BLOCKS>;

// Where lane l's partial sum of row m of column j (of the PART_BLOCKS · COLUMNS `part` holds) lies in
// `part`: [column][row][lane], so that the lanes of a column, neighbours, store side by side; with SLABS,
// where neighbouring invocations hold neighbouring columns, [row][lane][column] (by columns their stores
// fell on one bank, COLUMNS-way). Each (column, row)'s LANES sums (with SLABS each row's 256 a block)
// are followed by one word (PART_BLOCKS · COLUMNS with SLABS) of padding: the invocations that then add
// them, one (row, column) each, read at the same lane side by side, where unpadded they read LANES
// words apart (16- or 32-way on 32 banks; with SLABS rows 256 apart, up to 8-way). The same sums in the
// same order: the same bits. At most 8 · 16 · 17 (LANES 16) = 2176 words a block.
fn slot(j: u32, m: u32, l: u32) -> u32 {
#if SLABS
    let cols = PART_BLOCKS * COLUMNS;
    return m * (LANES * cols + cols) + l * cols + j;
#else
    return (j * 8u + m) * (LANES + 1u) + l;
#endif
}

fn chunks() -> u32 {
#if VEC8
    return p.k / 8u;
#else
#if VEC4
    return p.k / 4u;
#else
    return p.k;
#endif
#endif
}

fn chunk_a(m: u32, c: u32) -> Chunk {
#if ASUM
    // The one row, staged.
#if VEC8
    let o = 8u * c;
    return Chunk(
        vec4<f32>(staged(o), staged(o + 1u), staged(o + 2u), staged(o + 3u)),
        vec4<f32>(staged(o + 4u), staged(o + 5u), staged(o + 6u), staged(o + 7u)),
    );
#else
#if VEC4
    let o = 4u * c;
    return Chunk(vec4<f32>(staged(o), staged(o + 1u), staged(o + 2u), staged(o + 3u)), vec4<f32>(0.0));
#else
    return Chunk(vec4<f32>(staged(c), 0.0, 0.0, 0.0), vec4<f32>(0.0));
#endif
#endif
#else
#if VEC8
    return unpack8(a[m * chunks() + c]);
#else
#if VEC4
    return Chunk(vec4<f32>(a[m * chunks() + c]), vec4<f32>(0.0));
#else
    return Chunk(vec4<f32>(f32(a[m * p.k + c]), 0.0, 0.0, 0.0), vec4<f32>(0.0));
#endif
#endif
#endif
}

// SLABS (K % 8 == 0, so VEC8 or VEC4): B in K slabs, (n, k) at (k / 8)·N·8 + n·8 + k % 8 (see gemm.wgsl).
fn chunk_b(n: u32, c: u32) -> Chunk {
#if VEC8
#if SLABS
    return unpack8(b[c * p.n + n]);
#else
    return unpack8(b[n * chunks() + c]);
#endif
#else
#if VEC4
#if SLABS
    return Chunk(vec4<f32>(b[(c / 2u) * p.n * 2u + n * 2u + c % 2u]), vec4<f32>(0.0));
#else
    return Chunk(vec4<f32>(b[n * chunks() + c]), vec4<f32>(0.0));
#endif
#else
    return Chunk(vec4<f32>(f32(b[n * p.k + c]), 0.0, 0.0, 0.0), vec4<f32>(0.0));
#endif
#endif
}

// SPLITK (K % 8 == 0: a narrow GEMV of several rows, src/gpu/stages/gemv/ranges.rs's gemv_splits):
// workgroup layer z sums the chunks of K range z (`k_range` in shared/gemm_epilogue.wgsl, ranges a
// multiple of 64 deep) and stores them as rows z·M .. of its partial products, for the expert stage or
// gemm_reduce to add in range order. Without, every chunk of K.
fn chunk_len() -> u32 {
#if VEC8
    return 8u;
#else
#if VEC4
    return 4u;
#else
    return 1u;
#endif
#endif
}

fn first_chunk() -> u32 {
#if SPLITK
    return k_begin / chunk_len();
#else
    return 0u;
#endif
}

fn end_chunk() -> u32 {
#if SPLITK
    return k_end / chunk_len();
#else
    return chunks();
#endif
}

#import gemv/sums

// This lane's partial sums of rows 0..8 (lo: 0..4, hi: 4..8) of column j (of the PART_BLOCKS · COLUMNS
// `part` holds) into `part`.
fn put_part(j: u32, lane: u32, lo: vec4<f32>, hi: vec4<f32>) {
    part[slot(j, 0u, lane)] = lo.x;
    part[slot(j, 1u, lane)] = lo.y;
    part[slot(j, 2u, lane)] = lo.z;
    part[slot(j, 3u, lane)] = lo.w;
    part[slot(j, 4u, lane)] = hi.x;
    part[slot(j, 5u, lane)] = hi.y;
    part[slot(j, 6u, lane)] = hi.z;
    part[slot(j, 7u, lane)] = hi.w;
}

// Adds the LANES partial sums of rows r0 .. r0 + 8 (this invocation's: lo, hi) of each of the COLUMNS
// columns from col0 in lane order and stores the results.
fn reduce_store(col0: u32, g: u32, lane: u32, li: u32, r0: u32, lo: vec4<f32>, hi: vec4<f32>) {
    put_part(g, lane, lo, hi);
    workgroupBarrier();
    // Invocation (row m, column j) adds its LANES partial sums in lane order.
    if (li < 8u * COLUMNS) {
        let m = li / COLUMNS;
        let j = li % COLUMNS;
        var s = 0.0;
        for (var l = 0u; l < LANES; l++) {
            s += part[slot(j, m, l)];
        }
        res[m * (COLUMNS + 1u) + j] = s;
    }
    workgroupBarrier();
    if (li < 8u * COLUMNS) {
        let m = li / COLUMNS;
        let j = li % COLUMNS;
        // `next` is column j + 1 (the up half of a SwiGLU pair when j is even).
        let o = m * (COLUMNS + 1u) + j;
        store(r0 + m, col0 + j, res[o], res[o + 1u]);
    }
}

#if PAIR
#import gemv/pair
#if QUAD
#import gemv/quad
#endif
#endif

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let w = wid.x + wid.y * nwg.x;
#if SPLITK
    _ = k_range(wid.z);
#endif
#if SLABS
    // Neighbouring invocations on neighbouring columns at one chunk: in K slabs those lie together (a
    // subgroup's loads then a few pieces of 64–256 bytes; by lanes along a column, 16 or 32 pieces of
    // 16–32 bytes, and the layer 7–16% slower at one token on an H100). Each lane sums the same chunks in
    // the same order as by rows: the same bits.
    let g = li % COLUMNS;
    let lane = li / COLUMNS;
#else
    let g = li / LANES;
    let lane = li % LANES;
#endif
    let col = w * COLUMNS + g;
#if ROWS16
    // Rows 0..4, 4..8, 8..12, 12..16. (The same loop as the 8-row build's below, through add_all. That
    // build stays for up to 8 rows: this one run at 1 and 8 tokens too took the H100's f16 layer in a
    // stack of 4 from 0.0320–0.0322 to 0.0330–0.0336 ms per layer at one token, 0.0358–0.0359 to
    // 0.0364–0.0366 at eight; BENCHMARKS.md, "Operands one k ahead".)
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);
    var s2 = vec4<f32>(0.0);
    var s3 = vec4<f32>(0.0);
    if (col < p.n) {
        let n = end_chunk();
        var c = first_chunk() + lane;
        for (; c + 3u * LANES < n; c += 4u * LANES) {
            let w0 = chunk_b(col, c);
            let w1 = chunk_b(col, c + LANES);
            let w2 = chunk_b(col, c + 2u * LANES);
            let w3 = chunk_b(col, c + 3u * LANES);
            add_all(c, w0, &s0, &s1, &s2, &s3);
            add_all(c + LANES, w1, &s0, &s1, &s2, &s3);
            add_all(c + 2u * LANES, w2, &s0, &s1, &s2, &s3);
            add_all(c + 3u * LANES, w3, &s0, &s1, &s2, &s3);
        }
        for (; c < n; c += LANES) {
            add_all(c, chunk_b(col, c), &s0, &s1, &s2, &s3);
        }
    }
    reduce_store(w * COLUMNS, g, lane, li, 0u, s0, s1);
    if (p.m > 8u) {
        reduce_store(w * COLUMNS, g, lane, li, 8u, s2, s3);
    }
#else
#if ASUM
#if ASUM4
    for (var i = li; i < p.k / 4u; i += 256u) {
        let v = vec4<elem>(a[i] + a_branch[i]);
        let o = 4u * i;
#if ASUM_HALF
        row_half[o] = v.x;
        row_half[o + 1u] = v.y;
        row_half[o + 2u] = v.z;
        row_half[o + 3u] = v.w;
#else
        part[o] = v.x;
        part[o + 1u] = v.y;
        part[o + 2u] = v.z;
        part[o + 3u] = v.w;
#endif
        if (w == 0u) {
            x_out[i] = v;
        }
    }
#else
    for (var i = li; i < p.k; i += 256u) {
        let v = elem(a[i] + a_branch[i]);
#if ASUM_HALF
        row_half[i] = v;
#else
        part[i] = v;
#endif
        if (w == 0u) {
            x_out[i] = v;
        }
    }
#endif
    workgroupBarrier();
#endif
#if PAIR
#if QUAD
    quad_sums(w, g, lane, li);
#else
    pair_sums(w, g, lane, li);
#endif
#else
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    if (col < p.n) {
        let n = end_chunk();
        var c = first_chunk() + lane;
        for (; c + 3u * LANES < n; c += 4u * LANES) {
            let w0 = chunk_b(col, c);
            let w1 = chunk_b(col, c + LANES);
            let w2 = chunk_b(col, c + 2u * LANES);
            let w3 = chunk_b(col, c + 3u * LANES);
            add_chunk(c, w0, &lo, &hi);
            add_chunk(c + LANES, w1, &lo, &hi);
            add_chunk(c + 2u * LANES, w2, &lo, &hi);
            add_chunk(c + 3u * LANES, w3, &lo, &hi);
        }
        for (; c < n; c += LANES) {
            add_chunk(c, chunk_b(col, c), &lo, &hi);
        }
    }
#if ASUM
    // `part` takes the partial sums next.
    workgroupBarrier();
#endif
    reduce_store(w * COLUMNS, g, lane, li, 0u, lo, hi);
#endif
#endif
}
