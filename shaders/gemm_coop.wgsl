// gemm_coop: C = A · Bᵀ on tensor cores through cooperative matrices (f16 inputs, f32 accumulation),
// with the epilogues of gemm.wgsl (plain, ADD, SWIGLU, SWIGLU with ROUTER) and the same math:
//
//   acc[m, n] = Σ_k A[m, k] · B[n, k]        A: [M, K] f16, B: [N, K] f16, K % 8 == 0
//
// Launch: workgroups (⌈N/TILE_N⌉, ⌈M/TILE_M⌉, splits) of 32·SG_R·SG_C invocations, subgroups of 32 laid out
// SG_R × SG_C: 4 × 2, 2 × 4 (SGW), 8 × 2 (SG16), 4 × 4 (SG16 and SGW) or 2 × 2 (SG4: 64 × 128 tiles for a few
// hundred rows, twice the workgroups of 128-row tiles; with FN2 64 × 64 tiles for a few dozen; 4 × 2 with
// FM1 and FN2 the same 64 × 64 tiles over 8 subgroups; 2 × 4 with FM1 and FN1 32 × 64 tiles over 8
// subgroups, for up to 32 rows; 1 × 8 (ROW8) with FN2 32 × 256 strips, each B fragment multiplied by
// both row fragments and read from workgroup memory once). Subgroup (i, j) owns FM × FN accumulators of
// 16×16 (FM = 2, 4 with FM4 or 1 with FM1; FN = 4, 2 with FN2 or 1 with FN1, which comes with FN2; FM4
// never with FN2): rows FM·16·i .. and columns FN·16·j .. of the workgroup's TILE_M × TILE_N tile of C.
// A tile over 8 subgroups instead of 4 loads a K step in half the registers an invocation and twice the
// invocations: on an H100 the 64 × 64 tiles' gate/up GEMM at 32–64 rows streamed its weights in 13.5 µs
// against 16.0 (BENCHMARKS.md).
//
// K advances TK halves a step (16, 32, 64 or 128: flags TK16, TK64, TK128, else 32). A weight-streaming
// GEMM of a few dozen rows is bound by its steps, each about one trip to device memory: 64 × 64 tiles at
// K step 128 have half the steps of 64 × 128 tiles at 64 and twice the workgroups (BENCHMARKS.md).
// Operands travel global memory → registers → workgroup memory → fragments:
// - 16-byte global loads (`vec4<u32>`: eight halves), each invocation CA chunks of A and CB of B a step;
// - workgroup rows padded to TK + 8 halves, so the 16 rows a fragment load reads start on different banks,
//   stored as f16, or as `vec2<f16>` / `vec4<f16>` elements (SMEM2 / SMEM4: 4 or 2 stores a chunk instead
//   of 8, fragment loads through a vector pointer as llama.cpp's Vulkan shaders do);
// - the next step's chunks are loaded into registers before this step's multiplies and stored to workgroup
//   memory after them, so global latency hides behind the tensor cores. With DB the staged blocks are double
//   buffered (one barrier a step); without it one buffer and two barriers a step, and with AHEAD2 two
//   steps' loads in flight (two register sets by turns: the strips, and the few-row tiles where a K
//   range has eight steps or more, `CoopConfig::ahead2`).
// Zeros stand in outside the matrices, so any M and N work. (The loads and stores, and the epilogue's
// staging: gemm_coop/staging.wgsl; a step's multiplies: gemm_coop/step.wgsl.)
//
// SPLITK: workgroup z sums only its K range and stores the plain partial product at rows z·M .. of C; a
// gemm_reduce pass adds the partials in z order and applies the epilogue.
//
// Epilogue: each accumulator goes through a 16×16 staging block of its subgroup into `store()` (ST4:
// blocks for 4 subgroups, which the workgroup's halves take in turns). With DIRECT
// and a tile inside C, the plain and ADD epilogues skip staging: ADD starts the accumulators from D
// (coopLoad), and each accumulator is stored to C with coopStore. Every sum runs over k in a fixed order:
// bitwise reproducible.
//
// Built without runtime bounds checks (TRUSTED in src/gpu/pipelines.rs): every global access is guarded,
// or (DIRECT) made only by tiles wholly inside C and D. The SPIR-V writer wants every coopLoad/coopStore
// offset and stride bound to a `let` first.

#import gemm_epilogue

@group(0) @binding(1) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<u32>>;

#if FM4
const FM: u32 = 4u;
#else
#if FM1
const FM: u32 = 1u;
#else
const FM: u32 = 2u;
#endif
#endif
#if ROW8
const SG_R: u32 = 1u;
const SG_C: u32 = 8u;
#else
#if SG16
#if SGW
const SG_R: u32 = 4u;
const SG_C: u32 = 4u;
#else
const SG_R: u32 = 8u;
const SG_C: u32 = 2u;
#endif
#else
#if SG4
const SG_R: u32 = 2u;
const SG_C: u32 = 2u;
#else
#if SGW
const SG_R: u32 = 2u;
const SG_C: u32 = 4u;
#else
const SG_R: u32 = 4u;
const SG_C: u32 = 2u;
#endif
#endif
#endif
#endif
// Column fragments per subgroup: 4, 2 with FN2 (32 columns: 64 × 64 tiles with SG4), or 1 with FN1 (set
// with FN2, whose blocks leave out the third and fourth).
#if FN1
const FN: u32 = 1u;
#else
#if FN2
const FN: u32 = 2u;
#else
const FN: u32 = 4u;
#endif
#endif
const WG: u32 = 32u * SG_R * SG_C;
const TILE_M: u32 = SG_R * FM * 16u;
const TILE_N: u32 = SG_C * FN * 16u;
#if TK16
const TK: u32 = 16u;
#else
#if TK64
const TK: u32 = 64u;
#else
#if TK128
const TK: u32 = 128u;
#else
const TK: u32 = 32u;
#endif
#endif
#endif
#if DB
const NBUF: u32 = 2u;
#else
const NBUF: u32 = 1u;
#endif
// Halves per element of the staged blocks.
#if SMEM4
const UNIT: u32 = 4u;
alias selem = vec4<f16>;
#else
#if SMEM2
const UNIT: u32 = 2u;
alias selem = vec2<f16>;
#else
const UNIT: u32 = 1u;
alias selem = f16;
#endif
#endif
// Row pitch of the staged blocks, in elements (TK + 8 halves).
const PITCH: u32 = (TK + 8u) / UNIT;
// 16-byte chunks per row of a block, and per invocation of A's and B's block.
const ROW_CHUNKS: u32 = TK / 8u;
const CA: u32 = TILE_M * ROW_CHUNKS / WG;
const CB: u32 = TILE_N * ROW_CHUNKS / WG;
const SA: u32 = TILE_M * PITCH;
const SB: u32 = TILE_N * PITCH;

// Every workgroup array a whole number of 16-byte units: the driver may load fragments from it as if it
// began 16-byte aligned (tests/shaders_naga.rs).
var<workgroup> As: array<selem, NBUF * SA>;
var<workgroup> Bs: array<selem, NBUF * SB>;
// One 16×16 f32 block per subgroup, row-major; with ST4 blocks for 4 subgroups, which take turns.
#if ST4
const ST_SG: u32 = 4u;
#else
const ST_SG: u32 = SG_R * SG_C;
#endif
var<workgroup> staging: array<f32, 256u * ST_SG>;

var<private> ra: array<vec4<u32>, CA>;
var<private> rb: array<vec4<u32>, CB>;
#if AHEAD2
// AHEAD2: the second set of registers (see the loop).
var<private> ra2: array<vec4<u32>, CA>;
var<private> rb2: array<vec4<u32>, CB>;
#endif

#import gemm_coop/staging

#if DIRECT
// The accumulator's start: D's 16×16 block at (r0, c0) with ADD, else zeros.
fn acc_init(r0: u32, c0: u32) -> coop_mat16x16<f32, C> {
#if ADD
    let ld = out_ld();
    let o = r0 * ld + out_col0() + c0;
    return coopLoadT<coop_mat16x16<f32, C>>(&d[o], ld);
#else
    return coop_mat16x16<f32, C>();
#endif
}

fn put(acc: coop_mat16x16<f32, C>, r0: u32, c0: u32) {
    let ld = out_ld();
    let o = (row_base + r0) * ld + out_col0() + c0;
    coopStoreT(acc, &c[o], ld);
}
#endif

@compute @workgroup_size(WG)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
    @builtin(subgroup_id) sg: u32,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    k_range(wid.z);
    let kr = k_bounds(wid.z);
    let row0 = wid.y * TILE_M;
    let col0 = wid.x * TILE_N;
    let sr = (sg / SG_C) * (FM * 16u);
    let sc = (sg % SG_C) * (FN * 16u);
    let rb0 = row0 + sr;
    let cb0 = col0 + sc;
#if DIRECT
    // Uniform over the workgroup: the tile lies inside C.
    let direct = row0 + TILE_M <= p.m && col0 + TILE_N <= p.n;
#endif
    var c00 = coop_mat16x16<f32, C>();
#if FN1
#else
    var c01 = coop_mat16x16<f32, C>();
#endif
#if FN2
#else
    var c02 = coop_mat16x16<f32, C>();
    var c03 = coop_mat16x16<f32, C>();
#endif
#if FM1
#else
    var c10 = coop_mat16x16<f32, C>();
#if FN1
#else
    var c11 = coop_mat16x16<f32, C>();
#endif
#if FN2
#else
    var c12 = coop_mat16x16<f32, C>();
    var c13 = coop_mat16x16<f32, C>();
#endif
#endif
#if FM4
    var c20 = coop_mat16x16<f32, C>();
    var c21 = coop_mat16x16<f32, C>();
    var c22 = coop_mat16x16<f32, C>();
    var c23 = coop_mat16x16<f32, C>();
    var c30 = coop_mat16x16<f32, C>();
    var c31 = coop_mat16x16<f32, C>();
    var c32 = coop_mat16x16<f32, C>();
    var c33 = coop_mat16x16<f32, C>();
#endif
#if DIRECT
    if (direct) {
        c00 = acc_init(rb0, cb0);
#if FN1
#else
        c01 = acc_init(rb0, cb0 + 16u);
#endif
#if FN2
#else
        c02 = acc_init(rb0, cb0 + 32u);
        c03 = acc_init(rb0, cb0 + 48u);
#endif
#if FM1
#else
        c10 = acc_init(rb0 + 16u, cb0);
#if FN1
#else
        c11 = acc_init(rb0 + 16u, cb0 + 16u);
#endif
#if FN2
#else
        c12 = acc_init(rb0 + 16u, cb0 + 32u);
        c13 = acc_init(rb0 + 16u, cb0 + 48u);
#endif
#endif
#if FM4
        c20 = acc_init(rb0 + 32u, cb0);
        c21 = acc_init(rb0 + 32u, cb0 + 16u);
        c22 = acc_init(rb0 + 32u, cb0 + 32u);
        c23 = acc_init(rb0 + 32u, cb0 + 48u);
        c30 = acc_init(rb0 + 48u, cb0);
        c31 = acc_init(rb0 + 48u, cb0 + 16u);
        c32 = acc_init(rb0 + 48u, cb0 + 32u);
        c33 = acc_init(rb0 + 48u, cb0 + 48u);
#endif
    }
#endif
    load_block(li, row0, col0, kr.x);
    store_block(li, 0u);
    workgroupBarrier();
#if AHEAD2
    // AHEAD2 (one buffer): two steps' loads in flight, in `ra`/`rb` and `ra2`/`rb2` by turns, the loop
    // written out two steps an iteration so that no register set is chosen by a branch or copied while
    // its loads are in flight (a workgroup barrier does not wait for them: BENCHMARKS.md, twenty-ninth
    // session). Past the range the guards load zeros, stored after the last multiplies and never read.
    load_block_into(&ra, &rb, li, row0, col0, kr.x + TK);
    load_block_into(&ra2, &rb2, li, row0, col0, kr.x + 2u * TK);
    let steps = (kr.y - kr.x + TK - 1u) / TK;
    let abase = sr * PITCH;
    let bbase = sc * PITCH;
    let pitch = PITCH;
    for (var s2 = 0u; s2 + 2u <= steps; s2 += 2u) {
        let k0 = kr.x + s2 * TK;
        {
#import gemm_coop/step
        }
        workgroupBarrier();
        store_block_from(&ra, &rb, li, 0u);
        load_block_into(&ra, &rb, li, row0, col0, k0 + 3u * TK);
        workgroupBarrier();
        {
#import gemm_coop/step
        }
        workgroupBarrier();
        store_block_from(&ra2, &rb2, li, 0u);
        load_block_into(&ra2, &rb2, li, row0, col0, k0 + 4u * TK);
        workgroupBarrier();
    }
    // The last step where they are odd (a loop of at most one: its bound is uniform).
    for (var s1 = steps / 2u * 2u; s1 < steps; s1++) {
#import gemm_coop/step
    }
#else
    var step = 0u;
    for (var k0 = kr.x; k0 < kr.y; k0 += TK) {
        let more = k0 + TK < kr.y;
        if (more) {
            load_block(li, row0, col0, k0 + TK);
        }
#if DB
        let cur = step % 2u;
#else
        let cur = 0u;
#endif
        let abase = cur * SA + sr * PITCH;
        let bbase = cur * SB + sc * PITCH;
        let pitch = PITCH;
#import gemm_coop/step
#if DB
        // The other buffer was last read in the previous step, before that step's barrier.
        if (more) {
            store_block(li, 1u - cur);
        }
#else
        workgroupBarrier();
        if (more) {
            store_block(li, 0u);
        }
#endif
        workgroupBarrier();
        step += 1u;
    }
#endif
#if DIRECT
    if (direct) {
        put(c00, rb0, cb0);
#if FN1
#else
        put(c01, rb0, cb0 + 16u);
#endif
#if FN2
#else
        put(c02, rb0, cb0 + 32u);
        put(c03, rb0, cb0 + 48u);
#endif
#if FM1
#else
        put(c10, rb0 + 16u, cb0);
#if FN1
#else
        put(c11, rb0 + 16u, cb0 + 16u);
#endif
#if FN2
#else
        put(c12, rb0 + 16u, cb0 + 32u);
        put(c13, rb0 + 16u, cb0 + 48u);
#endif
#endif
#if FM4
        put(c20, rb0 + 32u, cb0);
        put(c21, rb0 + 32u, cb0 + 16u);
        put(c22, rb0 + 32u, cb0 + 32u);
        put(c23, rb0 + 32u, cb0 + 48u);
        put(c30, rb0 + 48u, cb0);
        put(c31, rb0 + 48u, cb0 + 16u);
        put(c32, rb0 + 48u, cb0 + 32u);
        put(c33, rb0 + 48u, cb0 + 48u);
#endif
        return;
    }
#endif
    emit(c00, sg, lane, rb0, cb0);
#if FN1
#else
    emit(c01, sg, lane, rb0, cb0 + 16u);
#endif
#if FN2
#else
    emit(c02, sg, lane, rb0, cb0 + 32u);
    emit(c03, sg, lane, rb0, cb0 + 48u);
#endif
#if FM1
#else
    emit(c10, sg, lane, rb0 + 16u, cb0);
#if FN1
#else
    emit(c11, sg, lane, rb0 + 16u, cb0 + 16u);
#endif
#if FN2
#else
    emit(c12, sg, lane, rb0 + 16u, cb0 + 32u);
    emit(c13, sg, lane, rb0 + 16u, cb0 + 48u);
#endif
#endif
#if FM4
    emit(c20, sg, lane, rb0 + 32u, cb0);
    emit(c21, sg, lane, rb0 + 32u, cb0 + 16u);
    emit(c22, sg, lane, rb0 + 32u, cb0 + 32u);
    emit(c23, sg, lane, rb0 + 32u, cb0 + 48u);
    emit(c30, sg, lane, rb0 + 48u, cb0);
    emit(c31, sg, lane, rb0 + 48u, cb0 + 16u);
    emit(c32, sg, lane, rb0 + 48u, cb0 + 32u);
    emit(c33, sg, lane, rb0 + 48u, cb0 + 48u);
#endif
}
