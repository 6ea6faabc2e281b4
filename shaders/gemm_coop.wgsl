// gemm_coop: C = A · Bᵀ on tensor cores through cooperative matrices (f16 inputs, f32 accumulation),
// with the epilogues of gemm.wgsl (plain, ADD, SWIGLU, SWIGLU with ROUTER) and the same math:
//
//   acc[m, n] = Σ_k A[m, k] · B[n, k]        A: [M, K] f16, B: [N, K] f16, K % 4 == 0
//
// Launch: workgroups (⌈N/128⌉, ⌈M/TILE_M⌉) of 256 invocations = 8 subgroups of 32. A workgroup owns a
// TILE_M×128 tile of C; subgroup s computes rows FM·16·(s / 2) .. + FM·16 and columns 64·(s % 2) .. + 64
// as FM×4 accumulators of 16×16: FM = 2, TILE_M = 128, or with WIDE FM = 4, TILE_M = 256. K advances TK
// (32 or 64) at a time: the A and B blocks are staged in workgroup memory (zeros
// outside the matrices, so any M, N work), then each subgroup multiplies its fragments. Each accumulator
// goes through a 16×16 staging area for the epilogue. Fixed order of accumulation: reproducible.
// The SPIR-V writer wants every coopLoad/coopStore offset bound to a `let` first.

#import gemm_epilogue

@group(0) @binding(1) var<storage, read> a: array<vec4<f16>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f16>>;

const TILE: u32 = 128u;
#if WIDE
const TILE_M: u32 = 256u;
#else
const TILE_M: u32 = 128u;
#endif
// K step: 32 or 64 (a pipeline constant; WIDE takes 32 only, for workgroup memory). DB (double
// buffering, TK = 32 and not WIDE) stages the next block in the other half of As/Bs while this one is used.
override TK: u32 = 32u;

// [TILE_M][TK] row-major: As[r * TK + k] = A[row0 + r, k0 + k]; Bs likewise with B's 128 rows.
var<workgroup> As: array<f16, 8192>;
var<workgroup> Bs: array<f16, 8192>;
// One 16×16 f32 block per subgroup, row-major.
var<workgroup> staging: array<f32, 2048>;


fn stage_block(li: u32, row0: u32, col0: u32, k0: u32, base: u32) {
    let k4 = p.k / 4u;
    let per_row = TK / 4u;
    for (var j = 0u; j < TILE_M * TK / 1024u; j++) {
        let e = li + 256u * j;
        let r = e / per_row;
        let kq = (e % per_row) * 4u;
        var va = vec4<f16>(0.0);
        if (k0 + kq < p.k && row0 + r < p.m) {
            va = a[(row0 + r) * k4 + (k0 + kq) / 4u];
        }
        let o = base + r * TK + kq;
        As[o] = va.x;
        As[o + 1u] = va.y;
        As[o + 2u] = va.z;
        As[o + 3u] = va.w;
    }
    for (var j = 0u; j < TILE * TK / 1024u; j++) {
        let e = li + 256u * j;
        let r = e / per_row;
        let kq = (e % per_row) * 4u;
        var vb = vec4<f16>(0.0);
        if (k0 + kq < p.k && col0 + r < p.n) {
            vb = b[(col0 + r) * k4 + (k0 + kq) / 4u];
        }
        let o = base + r * TK + kq;
        Bs[o] = vb.x;
        Bs[o + 1u] = vb.y;
        Bs[o + 2u] = vb.z;
        Bs[o + 3u] = vb.w;
    }
}

// Writes one 16×16 accumulator at (r0, c0) of C through this subgroup's staging block.
fn emit(acc: coop_mat16x16<f32, C>, sg: u32, lane: u32, r0: u32, c0: u32) {
    let so = sg * 256u;
    let sixteen = 16u;
    coopStoreT(acc, &staging[so], sixteen);
    workgroupBarrier();
    for (var e = lane; e < 128u; e += 32u) {
        let r = e / 8u;
        let cc = (e % 8u) * 2u;
        let v0 = staging[so + r * 16u + cc];
        let v1 = staging[so + r * 16u + cc + 1u];
        store(r0 + r, c0 + cc, v0, v1);
        store(r0 + r, c0 + cc + 1u, v1, 0.0);
    }
    workgroupBarrier();
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
    @builtin(subgroup_id) sg: u32,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let row0 = wid.y * TILE_M;
    let col0 = wid.x * TILE;
    // This subgroup's FM·16 rows (FM = TILE_M / 64) and 64 columns; fragment rows 2 and 3 exist with WIDE.
    let sr = (sg / 2u) * (TILE_M / 4u);
    let sc = (sg % 2u) * 64u;
    var c00 = coop_mat16x16<f32, C>();
    var c01 = coop_mat16x16<f32, C>();
    var c02 = coop_mat16x16<f32, C>();
    var c03 = coop_mat16x16<f32, C>();
    var c10 = coop_mat16x16<f32, C>();
    var c11 = coop_mat16x16<f32, C>();
    var c12 = coop_mat16x16<f32, C>();
    var c13 = coop_mat16x16<f32, C>();
#if WIDE
    var c20 = coop_mat16x16<f32, C>();
    var c21 = coop_mat16x16<f32, C>();
    var c22 = coop_mat16x16<f32, C>();
    var c23 = coop_mat16x16<f32, C>();
    var c30 = coop_mat16x16<f32, C>();
    var c31 = coop_mat16x16<f32, C>();
    var c32 = coop_mat16x16<f32, C>();
    var c33 = coop_mat16x16<f32, C>();
#endif
#if DB
    stage_block(li, row0, col0, 0u, 0u);
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        // One barrier a step: this step's block is in, and everyone is done with the other buffer, which
        // now receives the next block while this one is multiplied.
        let base = ((k0 / TK) % 2u) * 4096u;
        workgroupBarrier();
        if (k0 + TK < p.k) {
            stage_block(li, row0, col0, k0 + TK, 4096u - base);
        }
#else
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        let base = 0u;
        stage_block(li, row0, col0, k0, 0u);
        workgroupBarrier();
#endif
        for (var kk = 0u; kk < TK; kk += 16u) {
            let stride = TK;
            let ib0 = base + (sc + 0u) * TK + kk;
            let b0 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib0], stride);
            let ib1 = base + (sc + 16u) * TK + kk;
            let b1 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib1], stride);
            let ib2 = base + (sc + 32u) * TK + kk;
            let b2 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib2], stride);
            let ib3 = base + (sc + 48u) * TK + kk;
            let b3 = coopLoad<coop_mat16x16<f16, B>>(&Bs[ib3], stride);
            let ia0 = base + (sr + 0u) * TK + kk;
            let a0 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia0], stride);
            c00 = coopMultiplyAdd(a0, b0, c00);
            c01 = coopMultiplyAdd(a0, b1, c01);
            c02 = coopMultiplyAdd(a0, b2, c02);
            c03 = coopMultiplyAdd(a0, b3, c03);
            let ia1 = base + (sr + 16u) * TK + kk;
            let a1 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia1], stride);
            c10 = coopMultiplyAdd(a1, b0, c10);
            c11 = coopMultiplyAdd(a1, b1, c11);
            c12 = coopMultiplyAdd(a1, b2, c12);
            c13 = coopMultiplyAdd(a1, b3, c13);
#if WIDE
            let ia2 = base + (sr + 32u) * TK + kk;
            let a2 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia2], stride);
            c20 = coopMultiplyAdd(a2, b0, c20);
            c21 = coopMultiplyAdd(a2, b1, c21);
            c22 = coopMultiplyAdd(a2, b2, c22);
            c23 = coopMultiplyAdd(a2, b3, c23);
            let ia3 = base + (sr + 48u) * TK + kk;
            let a3 = coopLoadT<coop_mat16x16<f16, A>>(&As[ia3], stride);
            c30 = coopMultiplyAdd(a3, b0, c30);
            c31 = coopMultiplyAdd(a3, b1, c31);
            c32 = coopMultiplyAdd(a3, b2, c32);
            c33 = coopMultiplyAdd(a3, b3, c33);
#endif
        }
#if DB
#else
        workgroupBarrier();
#endif
    }
    let cb = col0 + sc;
    emit(c00, sg, lane, row0 + sr + 0u, cb + 0u);
    emit(c01, sg, lane, row0 + sr + 0u, cb + 16u);
    emit(c02, sg, lane, row0 + sr + 0u, cb + 32u);
    emit(c03, sg, lane, row0 + sr + 0u, cb + 48u);
    emit(c10, sg, lane, row0 + sr + 16u, cb + 0u);
    emit(c11, sg, lane, row0 + sr + 16u, cb + 16u);
    emit(c12, sg, lane, row0 + sr + 16u, cb + 32u);
    emit(c13, sg, lane, row0 + sr + 16u, cb + 48u);
#if WIDE
    emit(c20, sg, lane, row0 + sr + 32u, cb + 0u);
    emit(c21, sg, lane, row0 + sr + 32u, cb + 16u);
    emit(c22, sg, lane, row0 + sr + 32u, cb + 32u);
    emit(c23, sg, lane, row0 + sr + 32u, cb + 48u);
    emit(c30, sg, lane, row0 + sr + 48u, cb + 0u);
    emit(c31, sg, lane, row0 + sr + 48u, cb + 16u);
    emit(c32, sg, lane, row0 + sr + 48u, cb + 32u);
    emit(c33, sg, lane, row0 + sr + 48u, cb + 48u);
#endif
}
