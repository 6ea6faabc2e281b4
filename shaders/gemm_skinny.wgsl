// gemm_skinny: the split-K partial products of C = A · Bᵀ for a few rows (decode and small batches), on
// tensor cores, with the weights read straight from global memory into fragments:
//
//   P[z, m, n] = Σ_{k in range z} A[m, k] · B[n, k]
//   A: [M, K] f16 with M ≤ 16·MT, B: [N, K] f16, K % 32 == 0, N % 32 == 0
//
// Flags: M2 (MT = 2) or M2 and M4 (MT = 4); MT = 1 without. ACT: A is the SwiGLU of the gate/up GEMM's
// split-K partial products (f32 `[a_ranges, a_rows, a_width]`, gate and up in adjacent columns), made while
// staging (see stage_act): the down projection reads what gemm_reduce would have written, without its pass.
// K and a_width are multiples of 8 and 4 (checked by the host). STAGED: B reaches the fragments through
// workgroup memory instead (see the loop), 32 k a step or with STEP64 (MT = 1 only, K % 64 == 0) 64;
// AHEAD2 (STAGED only) holds two steps' loads in flight instead of one.
//
// Launch: workgroups (G, 1, ranges) of WGS invocations, SGS subgroups of 32 on 32 columns each: 4 (128
// columns), 6 with SG6 (192) or 8 with SG8 (256), G at most ⌈N/WGS⌉ (src/gpu/stages/skinny/
// workgroups.rs: skinny_subgroups and skinny_groups). Workgroup (x, z) owns the K range [z·kz, min(K,
// z·kz + kz)) (kz a multiple of 32, at most KZ_MAX): it stages A's rows of that range into workgroup
// memory once (zeros from row M on; rows padded by 8 halves), then subgroup s multiplies the blocks of 32
// columns b = x·SGS + s, b + G·SGS, b + 2·G·SGS, … below N (one where G = ⌈N/WGS⌉) through MT × 2
// accumulators each, loading four 16×16 fragments of B a step of 32 straight from global memory; a
// block's stores are followed at once by the next block's first loads. A subgroup whose first block
// starts past N (where N is no multiple of WGS) runs on the last 32 columns instead (every load in
// bounds, no branch around the cooperative-matrix operations but a whole subgroup's) and stores nothing.
// Each weight is read once, by one subgroup, and the loop has no barrier: where a tiled GEMM at a few
// rows spends its time staging blocks of B (and 128-row tiles of A it does not have), this streams B.
// Which subgroup computes a block changes none of its sums.
//
// P's rows are padded to MP = 16·MT per range (rows M .. MP − 1 hold zeros): every fragment store lies
// inside P. gemm_reduce adds the ranges in z order and applies the GEMM's epilogue; the sum over k within a
// range runs in a fixed order too, so the bits are the same run to run.
//
// Built without runtime bounds checks (TRUSTED in src/gpu/pipelines.rs): A (with ACT its partial products)
// is read only below row M, B only inside [N, K] (N % 32 == 0, K % 32 == 0, checked by the host), P only
// inside [ranges · MP, N]. The SPIR-V writer wants every coopLoad/coopStore offset and stride bound to a
// `let` first.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // K per range.
    kz: u32,
    // ACT: the gate/up GEMM's K ranges, rows per range and row width (columns).
    a_ranges: u32,
    a_rows: u32,
    a_width: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if ACT
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> a: array<vec4<u32>>;
#endif
#if STAGED
@group(0) @binding(2) var<storage, read> b: array<vec4<u32>>;
#else
@group(0) @binding(2) var<storage, read> b: array<f16>;
#endif
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

#if M4
const MT: u32 = 4u;
#else
#if M2
const MT: u32 = 2u;
#else
const MT: u32 = 1u;
#endif
#endif
const MP: u32 = 16u * MT;
// Subgroups of 32 a workgroup (SG6: 6, SG8: 8, else 4), each on 32 columns.
#if SG6
const SGS: u32 = 6u;
#else
#if SG8
const SGS: u32 = 8u;
#else
const SGS: u32 = 4u;
#endif
#endif
const WGS: u32 = 32u * SGS;
// A_HALF: ranges at most half as deep, for half the workgroup memory.
#if A_HALF
const KZ_MAX: u32 = 512u / MT;
#else
const KZ_MAX: u32 = 1024u / MT;
#endif
const PITCH: u32 = KZ_MAX + 8u;

var<workgroup> As: array<f16, MP * PITCH>;
// K per step of the main loop: 64 with STEP64 (STAGED only), else 32.
#if STEP64
const BSTEP: u32 = 64u;
#else
const BSTEP: u32 = 32u;
#endif
#if STAGED
// STAGED: each subgroup's block of B for one step: its 32 columns of the step's halves as vec4<f16>s, each
// padded by 8 halves. Only that subgroup writes and reads it, so a subgroup barrier orders the two (on
// Vulkan the host gives subgroupBarrier() workgroup-memory semantics: src/gpu/subgroup_barrier.rs). The
// host pairs it with A_HALF (at most ~36 KiB in all) except for a GEMM that runs beside no other
// dispatch (~44 KiB: src/gpu/stages/skinny/mod.rs).
const BP: u32 = BSTEP / 4u + 2u;
var<workgroup> Bs: array<vec4<f16>, SGS * 32u * BP>;

// Through f32 and back, as WGSL must; a bitcast in the SPIR-V on Vulkan (src/gpu/spirv_halves.rs).
fn halves(v: vec2<u32>) -> vec4<f16> {
    return vec4<f16>(vec2<f16>(unpack2x16float(v.x)), vec2<f16>(unpack2x16float(v.y)));
}

// A lane's 16-byte loads of B a step (BV: 4, or 8 with STEP64) and the registers they land in. BV lanes
// share a column: load j of lane l reads chunk l % BV of the step of column j · 32 / BV + l / BV of its
// subgroup's 32, so each load reads the whole 64- or 128-byte steps of 32 / BV columns. (One lane per
// column, 16 bytes of 32 columns a load, streamed ~15% slower on an H100: BENCHMARKS.md.)
const BV: u32 = BSTEP / 8u;
const COLS_PER_LOAD: u32 = 32u / BV;
var<private> wa: array<vec4<u32>, BV>;
#if AHEAD2
// AHEAD2: the odd steps' registers (see the loop).
var<private> wb: array<vec4<u32>, BV>;
#endif

// Loads the step at 16-byte chunk q of B (this lane's chunk of its first column) into `w`.
fn fetch(w: ptr<private, array<vec4<u32>, BV>>, q: u32) {
    for (var j = 0u; j < BV; j++) {
        (*w)[j] = b[q + j * COLS_PER_LOAD * (p.k / 8u)];
    }
}

// Requests a block's first steps: of columns n0 .. n0 + 31 from k0, into `wa` (and with AHEAD2 the
// second, up to the range's `last` step, into `wb`). Returns this lane's chunk of its first column (`q`
// of `fetch`), which the block's later steps start from.
fn first_steps(n0: u32, lane: u32, k0: u32, last: u32) -> u32 {
    let q = ((n0 + lane / BV) * p.k + k0) / 8u + lane % BV;
    fetch(&wa, q);
#if AHEAD2
    fetch(&wb, q + min(BSTEP / 8u, last));
#endif
    return q;
}

// Stores `w` into its subgroup's block, from element `so` (this lane's place in its first column).
fn put(so: u32, w: ptr<private, array<vec4<u32>, BV>>) {
    for (var j = 0u; j < BV; j++) {
        let o = so + j * COLS_PER_LOAD * BP;
        Bs[o] = halves((*w)[j].xy);
        Bs[o + 1u] = halves((*w)[j].zw);
    }
}
#endif

#if ACT
fn silu(x: f32) -> f32 {
    return x / (1.0 + exp(-x));
}

// Stages A[r, j0 .. j0 + 8] at As[o ..] where A is the SwiGLU of the gate/up GEMM's partial products:
// its columns 2j and 2j + 1 (gate, up) summed over the ranges in range order from zero, then
// f16(silu(gate) · up): the sums of gemm_reduce and the expression of its SwiGLU epilogue.
fn stage_act(r: u32, j0: u32, o: u32) {
    var s0 = vec4<f32>(0.0);
    var s1 = vec4<f32>(0.0);
    var s2 = vec4<f32>(0.0);
    var s3 = vec4<f32>(0.0);
    // Two ranges' loads before their additions (each in range order).
    var z = 0u;
    for (; z + 2u <= p.a_ranges; z += 2u) {
        let b = ((z * p.a_rows + r) * p.a_width + 2u * j0) / 4u;
        let d = p.a_rows * p.a_width / 4u;
        let x0 = a[b];
        let x1 = a[b + 1u];
        let x2 = a[b + 2u];
        let x3 = a[b + 3u];
        let y0 = a[b + d];
        let y1 = a[b + d + 1u];
        let y2 = a[b + d + 2u];
        let y3 = a[b + d + 3u];
        s0 += x0;
        s1 += x1;
        s2 += x2;
        s3 += x3;
        s0 += y0;
        s1 += y1;
        s2 += y2;
        s3 += y3;
    }
    for (; z < p.a_ranges; z++) {
        let b = ((z * p.a_rows + r) * p.a_width + 2u * j0) / 4u;
        s0 += a[b];
        s1 += a[b + 1u];
        s2 += a[b + 2u];
        s3 += a[b + 3u];
    }
    As[o] = f16(silu(s0.x) * s0.y);
    As[o + 1u] = f16(silu(s0.z) * s0.w);
    As[o + 2u] = f16(silu(s1.x) * s1.y);
    As[o + 3u] = f16(silu(s1.z) * s1.w);
    As[o + 4u] = f16(silu(s2.x) * s2.y);
    As[o + 5u] = f16(silu(s2.z) * s2.w);
    As[o + 6u] = f16(silu(s3.x) * s3.y);
    As[o + 7u] = f16(silu(s3.z) * s3.w);
}
#endif

#if ACT
#else
// Chunk e of A's staged rows (row e / row_chunks, eight halves from k0 + 8 · (e % row_chunks)): zeros
// from row M on and past the last chunk.
fn load_chunk(e: u32, row_chunks: u32, k0: u32) -> vec4<u32> {
    let r = e / row_chunks;
    var v = vec4<u32>(0u);
    if (r < p.m && e < MP * row_chunks) {
        v = a[r * (p.k / 8u) + k0 / 8u + e % row_chunks];
    }
    return v;
}
#endif

// Stores chunk e (eight halves packed in v) at its place in As.
fn stage_chunk(e: u32, row_chunks: u32, v: vec4<u32>) {
    let o = (e / row_chunks) * PITCH + (e % row_chunks) * 8u;
    let h0 = vec2<f16>(unpack2x16float(v.x));
    let h1 = vec2<f16>(unpack2x16float(v.y));
    let h2 = vec2<f16>(unpack2x16float(v.z));
    let h3 = vec2<f16>(unpack2x16float(v.w));
    As[o] = h0.x;
    As[o + 1u] = h0.y;
    As[o + 2u] = h1.x;
    As[o + 3u] = h1.y;
    As[o + 4u] = h2.x;
    As[o + 5u] = h2.y;
    As[o + 6u] = h3.x;
    As[o + 7u] = h3.y;
}

@compute @workgroup_size(WGS)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
    @builtin(subgroup_id) sg: u32,
    @builtin(subgroup_invocation_id) lane: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let k0 = wid.z * p.kz;
    let kn = min(p.k, k0 + p.kz) - k0;
    // The subgroup's first column, and where it loads from: the last 32 columns where it starts past
    // them (a subgroup past N loads in bounds and stores nothing); then every nwg.x · SGS-th block of 32
    // columns after it (see the launch).
    var blk = wid.x * SGS + sg;
    var col0 = blk * 32u;
    var n0 = min(col0, p.n - 32u);
#if STAGED
    // The subgroup streams its 32 columns of B: a step's 64 or 128 bytes of each in 16-byte loads, 4 or 8
    // a lane (`fetch`; the first step's requested before A is staged), the next step's requested before
    // this one is staged and multiplied (past the range's end its last step is re-read, in bounds, never
    // used); the subgroup's block is then read as fragments. coopLoad straight from a storage buffer
    // issues narrow loads (on an H100 this build took 16 tokens from 0.037 to 0.0345 ms). The same
    // multiplies in the same order as without STAGED, so the same sums. No workgroup barrier in the
    // loop: each subgroup waits only for its own lanes.
    let sbase = sg * 32u * BP;
    let so = sbase + (lane / BV) * BP + 2u * (lane % BV);
    let bpitch = BP;
    // The last step of the range: where loads past it go instead (in bounds, never used).
    let last = (kn - BSTEP) / 8u;
    var qb = first_steps(n0, lane, k0, last);
#endif
    // A's rows of the range, eight halves a chunk.
    let row_chunks = kn / 8u;
    let chunks = MP * row_chunks;
#if ACT
    for (var e = li; e < chunks; e += WGS) {
        let r = e / row_chunks;
        let q = e % row_chunks;
        if (r < p.m) {
            stage_act(r, k0 + q * 8u, r * PITCH + q * 8u);
        } else {
            stage_chunk(e, row_chunks, vec4<u32>(0u));
        }
    }
#else
    // Eight chunks' loads before their stores: A comes from L2, and a load at a time would leave each
    // invocation waiting on it once per chunk (64 rows of a range 256 deep are 16 chunks an invocation).
    for (var e = li; e < chunks; e += 8u * WGS) {
        let v0 = load_chunk(e + 0u, row_chunks, k0);
        let v1 = load_chunk(e + 1u * WGS, row_chunks, k0);
        let v2 = load_chunk(e + 2u * WGS, row_chunks, k0);
        let v3 = load_chunk(e + 3u * WGS, row_chunks, k0);
        let v4 = load_chunk(e + 4u * WGS, row_chunks, k0);
        let v5 = load_chunk(e + 5u * WGS, row_chunks, k0);
        let v6 = load_chunk(e + 6u * WGS, row_chunks, k0);
        let v7 = load_chunk(e + 7u * WGS, row_chunks, k0);
        stage_chunk(e, row_chunks, v0);
        if (e + 1u * WGS < chunks) {
            stage_chunk(e + 1u * WGS, row_chunks, v1);
        }
        if (e + 2u * WGS < chunks) {
            stage_chunk(e + 2u * WGS, row_chunks, v2);
        }
        if (e + 3u * WGS < chunks) {
            stage_chunk(e + 3u * WGS, row_chunks, v3);
        }
        if (e + 4u * WGS < chunks) {
            stage_chunk(e + 4u * WGS, row_chunks, v4);
        }
        if (e + 5u * WGS < chunks) {
            stage_chunk(e + 5u * WGS, row_chunks, v5);
        }
        if (e + 6u * WGS < chunks) {
            stage_chunk(e + 6u * WGS, row_chunks, v6);
        }
        if (e + 7u * WGS < chunks) {
            stage_chunk(e + 7u * WGS, row_chunks, v7);
        }
    }
#endif
    workgroupBarrier();

    let ld = p.k;
    let pitch = PITCH;
    loop {
        var c00 = coop_mat16x16<f32, C>();
        var c01 = coop_mat16x16<f32, C>();
#if M2
        var c10 = coop_mat16x16<f32, C>();
        var c11 = coop_mat16x16<f32, C>();
#endif
#if M4
        var c20 = coop_mat16x16<f32, C>();
        var c21 = coop_mat16x16<f32, C>();
        var c30 = coop_mat16x16<f32, C>();
        var c31 = coop_mat16x16<f32, C>();
#endif
#if AHEAD2
        // AHEAD2: two steps in flight, even steps' loads in `wa`, odd steps' in `wb`, the loop written out
        // two steps an iteration so that no branch stands between a step's loads and where they are used (a
        // loop that chose its registers by the step's parity was slower: BENCHMARKS.md). A last odd step
        // follows.
        let kt = kn / (2u * BSTEP) * (2u * BSTEP);
        for (var kk = 0u; kk < kt; kk += 2u * BSTEP) {
            put(so, &wa);
            fetch(&wa, qb + min((kk + 2u * BSTEP) / 8u, last));
            subgroupBarrier();
            {
                let ks = kk;
#import gemm_skinny/step
            }
            subgroupBarrier();
            put(so, &wb);
            fetch(&wb, qb + min((kk + 3u * BSTEP) / 8u, last));
            subgroupBarrier();
            {
                let ks = kk + BSTEP;
#import gemm_skinny/step
            }
            subgroupBarrier();
        }
        if (kt < kn) {
            put(so, &wa);
            subgroupBarrier();
            let ks = kt;
#import gemm_skinny/step
        }
#else
        for (var kk = 0u; kk < kn; kk += BSTEP) {
#if STAGED
            put(so, &wa);
            fetch(&wa, qb + min((kk + BSTEP) / 8u, last));
            subgroupBarrier();
#endif
            let ks = kk;
#import gemm_skinny/step
#if STAGED
            subgroupBarrier();
#endif
        }
#endif

        // A subgroup past N (see the launch) stores nothing.
        if (col0 < p.n) {
            let ldc = p.n;
            let o00 = wid.z * MP * p.n + n0;
            coopStoreT(c00, &c[o00], ldc);
            let o01 = o00 + 16u;
            coopStoreT(c01, &c[o01], ldc);
#if M2
            let o10 = o00 + 16u * p.n;
            coopStoreT(c10, &c[o10], ldc);
            let o11 = o10 + 16u;
            coopStoreT(c11, &c[o11], ldc);
#endif
#if M4
            let o20 = o00 + 32u * p.n;
            coopStoreT(c20, &c[o20], ldc);
            let o21 = o20 + 16u;
            coopStoreT(c21, &c[o21], ldc);
            let o30 = o00 + 48u * p.n;
            coopStoreT(c30, &c[o30], ldc);
            let o31 = o30 + 16u;
            coopStoreT(c31, &c[o31], ldc);
#endif
        }
        // The subgroup's next block, if any: its first steps requested at once, beside the stores.
        blk += nwg.x * SGS;
        col0 = blk * 32u;
        if (col0 >= p.n) {
            break;
        }
        n0 = col0;
#if STAGED
        qb = first_steps(n0, lane, k0, last);
#endif
    }
}
