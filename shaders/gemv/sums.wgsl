// gemv's row sums (imported by gemv.wgsl where these functions stood, `#import gemv/sums`): how a lane
// adds a chunk of its column to the sums of A's rows, by dots or one fma at a time (FMA), and M where the
// pipeline fixes it (ROWS).

// w · x for one chunk of the column and of a row of A.
fn chunk_dot(w: Chunk, x: Chunk) -> f32 {
#if VEC8
    return dot(w.lo, x.lo) + dot(w.hi, x.hi);
#else
    return dot(w.lo, x.lo);
#endif
}

#if FMA
// s + w · x, one fma at a time in k order (FMA: a chunk of eight costs 8 fmas, where `chunk_dot` and the
// add of its sum take 10 operations). With FMA every row's sum takes each chunk so
// (src/gpu/stages/gemv/mod.rs's gemv_fma, which sets FMA only with VEC8: on an H200 the README's GEMVs
// alone at 5 tokens 9.2 → 8.8 µs (gate/up) and 8.3 → 8.0 (down), at I = 16384 27.2 → 25.5 and 16.7 →
// 15.4; BENCHMARKS.md, "One fma at a time").
fn chunk_fma(w: Chunk, x: Chunk, s: f32) -> f32 {
    var t = fma(w.lo.x, x.lo.x, s);
    t = fma(w.lo.y, x.lo.y, t);
    t = fma(w.lo.z, x.lo.z, t);
    t = fma(w.lo.w, x.lo.w, t);
    t = fma(w.hi.x, x.hi.x, t);
    t = fma(w.hi.y, x.hi.y, t);
    t = fma(w.hi.z, x.hi.z, t);
    t = fma(w.hi.w, x.hi.w, t);
    return t;
}
#endif

// M where the pipeline fixes it (src/gpu/stages/gemm.rs's gemm_dispatch sets it up to 8 rows with vector
// chunks), so that no branch stands between a round's loads of B and those of A's rows: they all load
// together. On an H200 the README's one-token GEMVs 8.9 → 7.3 µs (gate/up) and 6.6 → 5.7 (down) alone
// (BENCHMARKS.md, "The GEMV's rows fixed"); with it, row 0's chunks loaded ahead by name (A_AHEAD, the
// thirty-second session) gained nothing more and went ("Two columns a group"). 0: M from `p`.
override ROWS: u32 = 0u;

// Rows of A: M.
fn rows() -> u32 {
    if (ROWS != 0u) {
        return ROWS;
    }
    return p.m;
}

// w · A[m, chunk c] for rows m < M, 0 past them.
fn row_dot(m: u32, c: u32, w: Chunk) -> f32 {
    if (m < rows()) {
        return chunk_dot(w, chunk_a(m, c));
    }
    return 0.0;
}

#if FMA
// s + w · A[m, chunk c] one fma at a time (FMA) for rows m < M, s past them.
fn row_fma(m: u32, c: u32, w: Chunk, s: f32) -> f32 {
    if (m < rows()) {
        return chunk_fma(w, chunk_a(m, c), s);
    }
    return s;
}

// The sums s of rows r0 .. r0 + 4 with chunk c of the column (weights w) added, one fma at a time (FMA).
fn rows_fma(r0: u32, c: u32, w: Chunk, s: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(
        row_fma(r0, c, w, s.x),
        row_fma(r0 + 1u, c, w, s.y),
        row_fma(r0 + 2u, c, w, s.z),
        row_fma(r0 + 3u, c, w, s.w),
    );
}
#endif

// Adds chunk c of the column (weights w) to the row sums lo (rows 0..4) and hi (rows 4..8).
fn add_chunk(c: u32, w: Chunk, lo: ptr<function, vec4<f32>>, hi: ptr<function, vec4<f32>>) {
#if FMA
    *lo = rows_fma(0u, c, w, *lo);
    if (rows() > 4u) {
        *hi = rows_fma(4u, c, w, *hi);
    }
    return;
#endif
    *lo += vec4<f32>(row_dot(0u, c, w), row_dot(1u, c, w), row_dot(2u, c, w), row_dot(3u, c, w));
    if (rows() > 4u) {
        *hi += vec4<f32>(row_dot(4u, c, w), row_dot(5u, c, w), row_dot(6u, c, w), row_dot(7u, c, w));
    }
}

#if ROWS16
// Adds chunk c to the row sums of rows 8..12 (lo) and 12..16 (hi).
fn add_chunk16(c: u32, w: Chunk, lo: ptr<function, vec4<f32>>, hi: ptr<function, vec4<f32>>) {
#if FMA
    *lo = rows_fma(8u, c, w, *lo);
    if (p.m > 12u) {
        *hi = rows_fma(12u, c, w, *hi);
    }
    return;
#endif
    *lo += vec4<f32>(row_dot(8u, c, w), row_dot(9u, c, w), row_dot(10u, c, w), row_dot(11u, c, w));
    if (p.m > 12u) {
        *hi += vec4<f32>(row_dot(12u, c, w), row_dot(13u, c, w), row_dot(14u, c, w), row_dot(15u, c, w));
    }
}

// Chunk c of the column (weights w) into every row's sums: rows 0..4, 4..8, and where M > 8 8..12,
// 12..16. (Pointers to whole variables only: browsers take no others as arguments.)
fn add_all(
    c: u32,
    w: Chunk,
    s0: ptr<function, vec4<f32>>,
    s1: ptr<function, vec4<f32>>,
    s2: ptr<function, vec4<f32>>,
    s3: ptr<function, vec4<f32>>,
) {
    add_chunk(c, w, s0, s1);
    if (p.m > 8u) {
        add_chunk16(c, w, s2, s3);
    }
}
#endif
