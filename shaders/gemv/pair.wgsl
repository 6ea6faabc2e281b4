// gemv's PAIR build (up to 8 rows in vector chunks: src/gpu/stages/gemv/mod.rs's gemv_pair): a group
// streams two columns, its own and the one COLUMNS on, from the same chunks, so each chunk of A's rows is
// loaded and unpacked once for both; each column's sums are those the one-column build makes (the same
// bits). From 2 rows, where the workgroups stay 512 or more: on an H200 the README's gate/up GEMV alone
// at 4 tokens 9.7 → 8.5 µs, at I = 16384 27.0 → 22.4 (BENCHMARKS.md, "Two columns a group"); and a deep
// down projection's K ranges at 4 rows (gemv_range_group). Imported by gemv.wgsl after `reduce_store`
// (`#import gemv/pair`).

// Chunks of each column a round loads, a pipeline constant: 4, or 2 (from 5 rows: the README's gate/up
// GEMV alone at 6 tokens 11.4 → 9.7 µs on an H200), or 1 (from 6 rows: the README's layer at 6 tokens
// 0.0287–0.0294 → 0.0281–0.0282 ms, I = 16384 at 7 tokens 0.0595–0.0604 → 0.0579–0.0584).
override PAIR_ROUND: u32 = 4u;

// w · A[m, chunk c] and v · A[m, chunk c] for rows m < M, 0 past them.
fn pair_dot(m: u32, c: u32, w: Chunk, v: Chunk) -> vec2<f32> {
    if (m < rows()) {
        let x = chunk_a(m, c);
        return vec2<f32>(chunk_dot(w, x), chunk_dot(v, x));
    }
    return vec2<f32>(0.0);
}

#if FMA
// s + (w · A[m, chunk c], v · A[m, chunk c]) one fma at a time (FMA: each the sum `add_chunk` makes of its
// column) for rows m < M, s past them.
fn pair_fma(m: u32, c: u32, w: Chunk, v: Chunk, s: vec2<f32>) -> vec2<f32> {
    if (m < rows()) {
        let x = chunk_a(m, c);
        return vec2<f32>(chunk_fma(w, x, s.x), chunk_fma(v, x, s.y));
    }
    return s;
}
#endif

// Adds chunk c of the two columns (weights w, v) to their row sums: rows 0..4 and 4..8 of the first in lo
// and hi, of the second in lo2 and hi2 (each the sum `add_chunk` makes of its column: the same bits).
fn add_pair(
    c: u32,
    w: Chunk,
    v: Chunk,
    lo: ptr<function, vec4<f32>>,
    hi: ptr<function, vec4<f32>>,
    lo2: ptr<function, vec4<f32>>,
    hi2: ptr<function, vec4<f32>>,
) {
#if FMA
    let e0 = pair_fma(0u, c, w, v, vec2<f32>((*lo).x, (*lo2).x));
    let e1 = pair_fma(1u, c, w, v, vec2<f32>((*lo).y, (*lo2).y));
    let e2 = pair_fma(2u, c, w, v, vec2<f32>((*lo).z, (*lo2).z));
    let e3 = pair_fma(3u, c, w, v, vec2<f32>((*lo).w, (*lo2).w));
    *lo = vec4<f32>(e0.x, e1.x, e2.x, e3.x);
    *lo2 = vec4<f32>(e0.y, e1.y, e2.y, e3.y);
    if (rows() > 4u) {
        let e4 = pair_fma(4u, c, w, v, vec2<f32>((*hi).x, (*hi2).x));
        let e5 = pair_fma(5u, c, w, v, vec2<f32>((*hi).y, (*hi2).y));
        let e6 = pair_fma(6u, c, w, v, vec2<f32>((*hi).z, (*hi2).z));
        let e7 = pair_fma(7u, c, w, v, vec2<f32>((*hi).w, (*hi2).w));
        *hi = vec4<f32>(e4.x, e5.x, e6.x, e7.x);
        *hi2 = vec4<f32>(e4.y, e5.y, e6.y, e7.y);
    }
    return;
#endif
    let d0 = pair_dot(0u, c, w, v);
    let d1 = pair_dot(1u, c, w, v);
    let d2 = pair_dot(2u, c, w, v);
    let d3 = pair_dot(3u, c, w, v);
    *lo += vec4<f32>(d0.x, d1.x, d2.x, d3.x);
    *lo2 += vec4<f32>(d0.y, d1.y, d2.y, d3.y);
    if (rows() > 4u) {
        let d4 = pair_dot(4u, c, w, v);
        let d5 = pair_dot(5u, c, w, v);
        let d6 = pair_dot(6u, c, w, v);
        let d7 = pair_dot(7u, c, w, v);
        *hi += vec4<f32>(d4.x, d5.x, d6.x, d7.x);
        *hi2 += vec4<f32>(d4.y, d5.y, d6.y, d7.y);
    }
}

// Workgroup w's 2 · COLUMNS columns: group g's two, lane `lane` of each (invocation li), summed and
// stored through `reduce_store`, a block of COLUMNS at a time.
fn pair_sums(w: u32, g: u32, lane: u32, li: u32) {
    // Columns col0 (sums lo, hi) and col0 + COLUMNS (lo2, hi2) of the workgroup's 2 · COLUMNS; past N the
    // second reads column N − 1 again (its sums are not stored).
    let col0 = 2u * w * COLUMNS + g;
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    var lo2 = vec4<f32>(0.0);
    var hi2 = vec4<f32>(0.0);
    if (col0 < p.n) {
        let col1 = min(col0 + COLUMNS, p.n - 1u);
        let n = end_chunk();
        var c = first_chunk() + lane;
        for (; PAIR_ROUND == 4u && c + 3u * LANES < n; c += 4u * LANES) {
            let w0 = chunk_b(col0, c);
            let w1 = chunk_b(col0, c + LANES);
            let w2 = chunk_b(col0, c + 2u * LANES);
            let w3 = chunk_b(col0, c + 3u * LANES);
            let v0 = chunk_b(col1, c);
            let v1 = chunk_b(col1, c + LANES);
            let v2 = chunk_b(col1, c + 2u * LANES);
            let v3 = chunk_b(col1, c + 3u * LANES);
            add_pair(c, w0, v0, &lo, &hi, &lo2, &hi2);
            add_pair(c + LANES, w1, v1, &lo, &hi, &lo2, &hi2);
            add_pair(c + 2u * LANES, w2, v2, &lo, &hi, &lo2, &hi2);
            add_pair(c + 3u * LANES, w3, v3, &lo, &hi, &lo2, &hi2);
        }
        for (; PAIR_ROUND != 1u && c + LANES < n; c += 2u * LANES) {
            let w0 = chunk_b(col0, c);
            let w1 = chunk_b(col0, c + LANES);
            let v0 = chunk_b(col1, c);
            let v1 = chunk_b(col1, c + LANES);
            add_pair(c, w0, v0, &lo, &hi, &lo2, &hi2);
            add_pair(c + LANES, w1, v1, &lo, &hi, &lo2, &hi2);
        }
        for (; c < n; c += LANES) {
            add_pair(c, chunk_b(col0, c), chunk_b(col1, c), &lo, &hi, &lo2, &hi2);
        }
    }
#if ASUM
    // `part` takes the partial sums next.
    workgroupBarrier();
#endif
    reduce_store(2u * w * COLUMNS, g, lane, li, 0u, lo, hi);
    reduce_store((2u * w + 1u) * COLUMNS, g, lane, li, 0u, lo2, hi2);
}
