// gemm: C = A · Bᵀ with a fused epilogue.
//
//   acc[m, n] = Σ_k A[m, k] · B[n, k]        A: [M, K] elem, B: [N, K] elem (PyTorch's [out, in] layout)
//   plain:  C[m, n] = acc[m, n]              C: [M, N] out_elem
//   ADD:    C[m, n] = acc[m, n] + D[m, n]    D: [M, N] f32 (the expert branch added to the dense output)
//   SWIGLU: C[m, n/2] = SiLU(acc[m, n]) · acc[m, n + 1] for even n: B's rows interleave gate and up
//           (row 2i = W_gate[i], row 2i+1 = W_up[i]), so C = SiLU(x W_gateᵀ) ⊙ (x W_upᵀ), [M, N/2].
//   ROUTER (with SWIGLU): B's rows from `split` on are the router keys: columns n < split as SWIGLU
//           (C: [M, split/2]), columns n ≥ split raw into Z[m, n − split] (f32): the router logits come
//           out of the same pass over x.
//
// SLABS (K % 8 == 0): B lies in K slabs, element (n, k) at (k / 8)·N·8 + n·8 + k % 8 (`to_slabs` in
// src/gpu/stages/gemm_kernel.rs), so that a step's 8 k of 128 rows are one 4 KB piece; the same values
// in the same sums as rows.
//
// SPLITK: workgroup z sums only its K range and stores the plain partial product at rows z·M .. of C; a
// gemm_reduce pass adds the partials in z order and applies the epilogue (see shared/gemm_epilogue.wgsl).
// STREAMK: the same two partial products (each tile's head and tail), from groups of SKC tiles summed by
// SKC + 1 workgroups each (see `sk_head`).
//
// Launch: workgroups (⌈N/128⌉, ⌈M/128⌉, splits), with COLWALK (⌈M/128⌉, ⌈N/128⌉, splits), with STREAMK
// (tiles + tiles / SKC, 1, 1), of 256
// invocations (16×16). A workgroup owns a 128×128 tile of C
// and walks K in steps of TK (8 or 16): each step's A and B blocks go through workgroup memory (k-major, so
// the inner loop reads vec4s), and the next step's blocks are fetched into registers while this one is multiplied;
// with DB (two blocks in workgroup memory) one barrier a step instead of two. Within a step each k's
// operands are read from workgroup memory while the k before multiplies (but with STREAMK).
// Each invocation accumulates an 8×8 block (rows ty·4 + {0..3} and 64 + ty·4 + {0..3}, columns likewise)
// in f32. VEC4 (K % 4 == 0) fetches 4 consecutive k at once; VEC8 (f16 storage, K % 8 == 0, K step 8)
// a row's 8 k of a step (see fetch8; the staging's loads and stores: gemm/staging.wgsl). Every sum runs in
// increasing k: bitwise reproducible.
//
// Built without wgpu's runtime bounds checks (see `TRUSTED` in src/gpu/pipelines.rs): every global read
// and write below is guarded by row < M / n < N / k < K, the host binds A, B, C (and D) with exactly
// M·K, N·K, M·N (M·N/2 for SWIGLU) elements, and the workgroup indices stay below 512 by construction.

#import gemm_epilogue

#if VEC8
@group(0) @binding(1) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<u32>>;
#else
#if VEC4
@group(0) @binding(1) var<storage, read> a: array<vec4<elem>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<elem>>;
#else
@group(0) @binding(1) var<storage, read> a: array<elem>;
@group(0) @binding(2) var<storage, read> b: array<elem>;
#endif
#endif

const TILE: u32 = 128u;
// K step: 8 or 16 (a pipeline constant, chosen per adapter and shape by the autotune).
override TK: u32 = 8u;

// A step's block of A in workgroup memory, k-major: As[base + at(k) + q] holds A[row0 + 4q .. 4q + 4,
// k0 + k] (q < 32), and Bs likewise for B. DB keeps two such blocks (the second at base = BLOCK), so the
// next step's block is stored while other invocations may still read this one: one barrier a step.
#if DB
const NBUF: u32 = 2u;
#else
const NBUF: u32 = 1u;
#endif
// Where k's row of 32 vec4s starts: rows in groups of 8, 33 vec4s apart within a group, the second group
// (TK = 16) 266 vec4s after the first. The 32 invocations that store together (`put`) hold the scalars of
// 16 rows of the block at k and k + 4 (TK = 8), or of 8 rows at k, k + 4, k + 8, k + 12 (TK = 16): with
// rows 32 vec4s (a multiple of the 32 banks) apart those fell on the same 8 or 16 banks, 2- or 4-way
// conflicted. 33 · 4 ≡ 4 banks a row and 266 · 4 ≡ 8 a group put them on 32 distinct banks, and a load
// in `main`'s inner loop still reads consecutive slots of one row. Only the constant offset of a row
// changes: nothing is spent on the loads (an XOR of the slot there, as before, cost more than the
// conflicts at TK = 8). The host sizes the autotune's candidates by the same numbers
// (`simt_workgroup_bytes` in src/gpu/stages/gemm_kernel.rs).
fn at(k: u32) -> u32 {
    return (k / 8u) * 266u + (k % 8u) * 33u;
}
// vec4s of one block (264 at TK = 8, 530 at 16), and of the arrays: sized by TK, so that the TK = 8 build
// declares 8.4 KiB, not the 17 KiB the TK = 16 block needs (adapters with WebGPU's 16 KiB default keep
// it). With this layout the H100's driver compiles the TK = 8 build to 127 registers instead of 109 and
// it runs 7–10% faster; declaring 16 KiB (unused) changes neither (BENCHMARKS.md, "The SIMT GEMM's lanes
// and staging").
override BLOCK: u32 = (TK / 8u - 1u) * 266u + 264u;
override ROOM: u32 = BLOCK * NBUF;
var<workgroup> As: array<vec4<f32>, ROOM>;
var<workgroup> Bs: array<vec4<f32>, ROOM>;

// A step's loads and stores: gemm/staging.wgsl.
#import gemm/staging

#if STREAMK
// STREAMK (`StreamK` in src/gpu/stages/stream_k.rs): groups of SKC tiles run on SKC + 1 workgroups.
// Tile i of a group (of S K steps) splits after sk_head(i) = S·(SKC − i)/(SKC + 1) steps: its head is
// summed by workgroup i into rows 0.. of C, its tail, S·(i + 1)/(SKC + 1) steps, by workgroup i + 1 into
// rows M.. (the two partial products a consumer adds in that order, as split-K's). Workgroup j so sums
// S·j/(SKC + 1) + S·(SKC − j)/(SKC + 1) = S·SKC/(SKC + 1) steps (within one), every one the same: where
// a GEMM's tiles come a few short of the places the GPU runs at once, the spare places take a share of
// the work instead of idling. Each tile is in two pieces, each piece in one workgroup: no sums across
// workgroups but the consumer's, in a fixed order.
override SKC: u32 = 1u;

fn sk_head(i: u32) -> u32 {
    let steps = (p.k + TK - 1u) / TK;
    return steps * (SKC - i) / (SKC + 1u);
}
#endif

// Stores columns col .. col + 4 of row r: in one store with QUADS (see shared/gemm_epilogue.wgsl).
fn store_row(r: u32, col: u32, v: vec4<f32>) {
#if QUADS
    store_quad(r, col, v);
#else
    store(r, col, v.x, v.y);
    store(r, col + 1u, v.y, 0.0);
    store(r, col + 2u, v.z, v.w);
    store(r, col + 3u, v.w, 0.0);
#endif
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
#if STREAMK
    // Workgroup j of a group of SKC + 1 sums the tail of the group's tile j − 1 (into rows M.. of C)
    // and the head of tile j (rows 0..): see `sk_head`.
    let group = wid.x / (SKC + 1u);
    let j = wid.x % (SKC + 1u);
    let ntn = (p.n + TILE - 1u) / TILE;
    for (var seg = 0u; seg < 2u; seg++) {
        if ((seg == 0u && j == 0u) || (seg == 1u && j == SKC)) {
            continue;
        }
        let ti = j + seg - 1u;
        let tile = group * SKC + ti;
        let head = min(sk_head(ti) * TK, p.k);
        let kr = select(vec2<u32>(0u, head), vec2<u32>(head, p.k), seg == 0u);
        k_begin = kr.x;
        k_end = kr.y;
        row_base = (1u - seg) * p.m;
        let row0 = (tile / ntn) * TILE;
        let col0 = (tile % ntn) * TILE;
#else
    k_range(wid.z);
    let kr = k_bounds(wid.z);
#if COLWALK
    // Workgroups down the columns of tiles (the host swaps the grid): see `COLWALK` in
    // src/gpu/stages/gemm.rs.
    let row0 = wid.x * TILE;
    let col0 = wid.y * TILE;
#else
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
#endif
#endif
    // Each 32 consecutive invocations (an NVIDIA subgroup) cover 4 values of ty and 8 of tx, not 2 and 16:
    // the same sums; on an H100 1% faster at K step 16 (BENCHMARKS.md). Within them the lanes interleave
    // 2 × 2: lane bit 0 is tx's bit 0, bit 1 is ty's bit 0 (then tx's bits 1, 2 and ty's bit 1), so
    // lanes n and n ^ 1 read the same A vec4 and lanes n and n ^ 2 the same B vec4. NVIDIA's workgroup
    // memory returns 128 bytes a cycle and serves a 16-byte load to such pairs in half the cycles.
    let lane = li % 32u;
    let w = li / 32u;
    let tx = (w % 2u) * 8u + ((lane & 1u) | ((lane >> 1u) & 6u));
    let ty = (w / 2u) * 4u + (((lane >> 1u) & 1u) | ((lane >> 3u) & 2u));
#if VEC8
#else
    // This invocation fetches 4 consecutive k of one row of each block: row lr0 at k offset lk0, and for
    // TK = 16 also row lr1 at lk1 (with VEC8 a whole row of one block: see below).
    let per_row = TK / 4u;
    let lr0 = li / per_row;
    let lk0 = (li % per_row) * 4u;
    let lr1 = (li + 256u) / per_row;
    let lk1 = ((li + 256u) % per_row) * 4u;
#endif
    // The 8×8 accumulator block as named registers: c<row><half>, row r of the block is
    // ty·4 + r (r < 4) or 64 + ty·4 + r − 4, half h covers columns h·64 + tx·4 .. + 4.
    var c00 = vec4<f32>(0.0);
    var c01 = vec4<f32>(0.0);
    var c10 = vec4<f32>(0.0);
    var c11 = vec4<f32>(0.0);
    var c20 = vec4<f32>(0.0);
    var c21 = vec4<f32>(0.0);
    var c30 = vec4<f32>(0.0);
    var c31 = vec4<f32>(0.0);
    var c40 = vec4<f32>(0.0);
    var c41 = vec4<f32>(0.0);
    var c50 = vec4<f32>(0.0);
    var c51 = vec4<f32>(0.0);
    var c60 = vec4<f32>(0.0);
    var c61 = vec4<f32>(0.0);
    var c70 = vec4<f32>(0.0);
    var c71 = vec4<f32>(0.0);
#if VEC8
    // Row li % 128 of A (li < 128) or of B.
    let is_a = li < 128u;
    let r8 = li % 128u;
    let row8 = select(col0, row0, is_a) + r8;
    var n8 = fetch8(row8, k_begin, is_a);
#else
    var na0 = fetch_a(row0 + lr0, k_begin + lk0);
    var nb0 = fetch_b(col0 + lr0, k_begin + lk0);
    var na1 = vec4<f32>(0.0);
    var nb1 = vec4<f32>(0.0);
    if (TK == 16u) {
        na1 = fetch_a(row0 + lr1, k_begin + lk1);
        nb1 = fetch_b(col0 + lr1, k_begin + lk1);
    }
#endif
    for (var k0 = kr.x; k0 < kr.y; k0 += TK) {
#if DB
        let base = ((k0 / TK) % 2u) * BLOCK;
#else
        let base = 0u;
#endif
#if VEC8
        put8(r8, is_a, n8);
        workgroupBarrier();
        n8 = fetch8(row8, k0 + TK, is_a);
#else
        put(base, lr0, lk0, na0, nb0);
        if (TK == 16u) {
            put(base, lr1, lk1, na1, nb1);
        }
        workgroupBarrier();
        na0 = fetch_a(row0 + lr0, k0 + TK + lk0);
        nb0 = fetch_b(col0 + lr0, k0 + TK + lk0);
        if (TK == 16u) {
            na1 = fetch_a(row0 + lr1, k0 + TK + lk1);
            nb1 = fetch_b(col0 + lr1, k0 + TK + lk1);
        }
#endif
#if STREAMK
#else
        // The step's first k row's operands; each k then loads the next row's before its multiplies (a
        // register double buffer: the loads of k + 1 in flight while k multiplies; at the last k it
        // loads its own row again). On an H100 the f32 layer 0.5–0.7% faster, the gate/up GEMM 1% (f32
        // and f16 storage); the stream-K build, with f16 storage, 1–2% slower so: it loads each row at
        // its k (BENCHMARKS.md, "Operands one k ahead").
        var fa0 = As[base + ty];
        var fa1 = As[base + 16u + ty];
        var fb0 = Bs[base + tx];
        var fb1 = Bs[base + 16u + tx];
#endif
        for (var kk = 0u; kk < TK; kk++) {
#if STREAMK
            let row = base + at(kk);
            let a0 = As[row + ty];
            let a1 = As[row + 16u + ty];
            let b0 = Bs[row + tx];
            let b1 = Bs[row + 16u + tx];
#else
            let a0 = fa0;
            let a1 = fa1;
            let b0 = fb0;
            let b1 = fb1;
            let next = base + at(min(kk + 1u, TK - 1u));
            fa0 = As[next + ty];
            fa1 = As[next + 16u + ty];
            fb0 = Bs[next + tx];
            fb1 = Bs[next + 16u + tx];
#endif
            c00 = fma(vec4<f32>(a0.x), b0, c00);
            c01 = fma(vec4<f32>(a0.x), b1, c01);
            c10 = fma(vec4<f32>(a0.y), b0, c10);
            c11 = fma(vec4<f32>(a0.y), b1, c11);
            c20 = fma(vec4<f32>(a0.z), b0, c20);
            c21 = fma(vec4<f32>(a0.z), b1, c21);
            c30 = fma(vec4<f32>(a0.w), b0, c30);
            c31 = fma(vec4<f32>(a0.w), b1, c31);
            c40 = fma(vec4<f32>(a1.x), b0, c40);
            c41 = fma(vec4<f32>(a1.x), b1, c41);
            c50 = fma(vec4<f32>(a1.y), b0, c50);
            c51 = fma(vec4<f32>(a1.y), b1, c51);
            c60 = fma(vec4<f32>(a1.z), b0, c60);
            c61 = fma(vec4<f32>(a1.z), b1, c61);
            c70 = fma(vec4<f32>(a1.w), b0, c70);
            c71 = fma(vec4<f32>(a1.w), b1, c71);
        }
#if DB
#else
        workgroupBarrier();
#endif
    }
    store_row(row0 + ty * 4u + 0u, col0 + 0u + tx * 4u, c00);
    store_row(row0 + ty * 4u + 0u, col0 + 64u + tx * 4u, c01);
    store_row(row0 + ty * 4u + 1u, col0 + 0u + tx * 4u, c10);
    store_row(row0 + ty * 4u + 1u, col0 + 64u + tx * 4u, c11);
    store_row(row0 + ty * 4u + 2u, col0 + 0u + tx * 4u, c20);
    store_row(row0 + ty * 4u + 2u, col0 + 64u + tx * 4u, c21);
    store_row(row0 + ty * 4u + 3u, col0 + 0u + tx * 4u, c30);
    store_row(row0 + ty * 4u + 3u, col0 + 64u + tx * 4u, c31);
    store_row(row0 + 64u + ty * 4u + 0u, col0 + 0u + tx * 4u, c40);
    store_row(row0 + 64u + ty * 4u + 0u, col0 + 64u + tx * 4u, c41);
    store_row(row0 + 64u + ty * 4u + 1u, col0 + 0u + tx * 4u, c50);
    store_row(row0 + 64u + ty * 4u + 1u, col0 + 64u + tx * 4u, c51);
    store_row(row0 + 64u + ty * 4u + 2u, col0 + 0u + tx * 4u, c60);
    store_row(row0 + 64u + ty * 4u + 2u, col0 + 64u + tx * 4u, c61);
    store_row(row0 + 64u + ty * 4u + 3u, col0 + 0u + tx * 4u, c70);
    store_row(row0 + 64u + ty * 4u + 3u, col0 + 64u + tx * 4u, c71);
#if STREAMK
    }
#endif
}
