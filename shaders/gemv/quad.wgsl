// gemv's QUAD build (with PAIR and FMA, up to 8 rows in chunks of eight: the gate/up GEMV from 6 rows,
// from 5 where wide, src/gpu/stages/gemv/mod.rs's gemv_quad, and a deep down projection's K ranges from 5
// rows, gemv_range_group): a group streams four columns, its own and the ones COLUMNS, 2 ·
// COLUMNS and 3 · COLUMNS on, from the same chunks, so each chunk of A's rows is loaded and unpacked once
// for four; each column's sums are those the one-column FMA build makes (the same bits), their lane sums
// added two blocks of COLUMNS at a time (`reduce_halves`). Imported by gemv.wgsl after `reduce_store`
// (`#import gemv/quad`).

// Chunks of each column a round loads, a pipeline constant: 2 (the gate/up GEMV's and a deep down
// projection's ranges: gemv_range_round) or 1 (a measuring aid's).
override QUAD_ROUND: u32 = 2u;

// Row m's sums s of the four columns with chunk c (their weights w0 .. w3) added one fma at a time, for
// rows m < M; s past them.
fn quad_row(m: u32, c: u32, w0: Chunk, w1: Chunk, w2: Chunk, w3: Chunk, s: vec4<f32>) -> vec4<f32> {
    if (m < rows()) {
        let x = chunk_a(m, c);
        return vec4<f32>(chunk_fma(w0, x, s.x), chunk_fma(w1, x, s.y), chunk_fma(w2, x, s.z), chunk_fma(w3, x, s.w));
    }
    return s;
}

// Adds chunk c of the four columns to the sums of rows 0..8 (r0 .. r7, each the four columns' sums).
fn add_quad(
    c: u32,
    w0: Chunk,
    w1: Chunk,
    w2: Chunk,
    w3: Chunk,
    r0: ptr<function, vec4<f32>>,
    r1: ptr<function, vec4<f32>>,
    r2: ptr<function, vec4<f32>>,
    r3: ptr<function, vec4<f32>>,
    r4: ptr<function, vec4<f32>>,
    r5: ptr<function, vec4<f32>>,
    r6: ptr<function, vec4<f32>>,
    r7: ptr<function, vec4<f32>>,
) {
    *r0 = quad_row(0u, c, w0, w1, w2, w3, *r0);
    *r1 = quad_row(1u, c, w0, w1, w2, w3, *r1);
    *r2 = quad_row(2u, c, w0, w1, w2, w3, *r2);
    *r3 = quad_row(3u, c, w0, w1, w2, w3, *r3);
    if (rows() > 4u) {
        *r4 = quad_row(4u, c, w0, w1, w2, w3, *r4);
        *r5 = quad_row(5u, c, w0, w1, w2, w3, *r5);
        *r6 = quad_row(6u, c, w0, w1, w2, w3, *r6);
        *r7 = quad_row(7u, c, w0, w1, w2, w3, *r7);
    }
}

// Adds the LANES partial sums in `part` of rows 0..8 of two blocks of COLUMNS columns from col0 in lane
// order (as `reduce_store` does a block's: the same bits) and stores the results, both blocks after one
// barrier, an invocation a (row, column) (all 256 at 16 lanes a column, half of them at 32, a quarter at
// 64). A block at a time, as the one-column build reduces, took the GEMV longer: on an H200 per layer of
// a stack of 4 at 8 tokens, the README's sizes 0.0291–0.0292 → 0.0279–0.0285 ms (the gate/up GEMV 9.8–9.9
// → 9.2 µs), I = 8192 0.0368–0.0372 → 0.0361–0.0362, I = 16384 0.0544–0.0545 → 0.0525–0.0528 (26.4–26.6
// → 25.1), I = 32768 0.0876–0.0880 → 0.0837–0.0839, the same bits (BENCHMARKS.md, "A QUAD group's lane
// sums two blocks at a time", run427). All four blocks at once (36 KiB of workgroup memory) took it
// longer still (26.4 → 33.0 µs, run426).
fn reduce_halves(col0: u32, li: u32) {
    workgroupBarrier();
    let cols = 2u * COLUMNS;
    for (var o = li; o < 8u * cols; o += 256u) {
#if SLABS
        let m = o / cols;
        let j = o % cols;
#else
        // Neighbouring invocations on neighbouring rows: their reads LANES + 1 words apart, on other
        // banks.
        let m = o % 8u;
        let j = o / 8u;
#endif
        var s = 0.0;
        for (var l = 0u; l < LANES; l++) {
            s += part[slot(j, m, l)];
        }
        res[m * (cols + 1u) + j] = s;
    }
    workgroupBarrier();
    for (var o = li; o < 8u * cols; o += 256u) {
        let m = o / cols;
        let j = o % cols;
        // `next` is column j + 1 (the up half of a SwiGLU pair when j is even).
        let x = m * (cols + 1u) + j;
        store(m, col0 + j, res[x], res[x + 1u]);
    }
}

// Workgroup w's 4 · COLUMNS columns: group g's four, lane `lane` of each (invocation li), summed and
// stored through `reduce_halves`, two blocks of COLUMNS at a time.
fn quad_sums(w: u32, g: u32, lane: u32, li: u32) {
    // Columns col0 + j · COLUMNS (j = 0..4) of the workgroup's 4 · COLUMNS; past N a column reads column
    // N − 1 again (its sums are not stored).
    let col0 = 4u * w * COLUMNS + g;
    var r0 = vec4<f32>(0.0);
    var r1 = vec4<f32>(0.0);
    var r2 = vec4<f32>(0.0);
    var r3 = vec4<f32>(0.0);
    var r4 = vec4<f32>(0.0);
    var r5 = vec4<f32>(0.0);
    var r6 = vec4<f32>(0.0);
    var r7 = vec4<f32>(0.0);
    if (col0 < p.n) {
        let col1 = min(col0 + COLUMNS, p.n - 1u);
        let col2 = min(col0 + 2u * COLUMNS, p.n - 1u);
        let col3 = min(col0 + 3u * COLUMNS, p.n - 1u);
        let n = end_chunk();
        var c = first_chunk() + lane;
        for (; QUAD_ROUND == 2u && c + LANES < n; c += 2u * LANES) {
            let a0 = chunk_b(col0, c);
            let a1 = chunk_b(col1, c);
            let a2 = chunk_b(col2, c);
            let a3 = chunk_b(col3, c);
            let b0 = chunk_b(col0, c + LANES);
            let b1 = chunk_b(col1, c + LANES);
            let b2 = chunk_b(col2, c + LANES);
            let b3 = chunk_b(col3, c + LANES);
            add_quad(c, a0, a1, a2, a3, &r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7);
            add_quad(c + LANES, b0, b1, b2, b3, &r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7);
        }
        for (; c < n; c += LANES) {
            let a0 = chunk_b(col0, c);
            let a1 = chunk_b(col1, c);
            let a2 = chunk_b(col2, c);
            let a3 = chunk_b(col3, c);
            add_quad(c, a0, a1, a2, a3, &r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7);
        }
    }
#if ASUM
    // `part` takes the partial sums next.
    workgroupBarrier();
#endif
    // Columns j and j + 1's rows 0..4 and 4..8, two blocks of COLUMNS at a time.
    put_part(g, lane, vec4<f32>(r0.x, r1.x, r2.x, r3.x), vec4<f32>(r4.x, r5.x, r6.x, r7.x));
    put_part(COLUMNS + g, lane, vec4<f32>(r0.y, r1.y, r2.y, r3.y), vec4<f32>(r4.y, r5.y, r6.y, r7.y));
    reduce_halves(4u * w * COLUMNS, li);
    put_part(g, lane, vec4<f32>(r0.z, r1.z, r2.z, r3.z), vec4<f32>(r4.z, r5.z, r6.z, r7.z));
    put_part(COLUMNS + g, lane, vec4<f32>(r0.w, r1.w, r2.w, r3.w), vec4<f32>(r4.w, r5.w, r6.w, r7.w));
    reduce_halves((4u * w + 2u) * COLUMNS, li);
}
