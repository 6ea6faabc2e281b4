// gemm_reduce: the second pass of a split-K GEMM (gemm.wgsl or gemm_coop.wgsl with SPLITK): adds the S
// partial products of each element in split order, then applies the GEMM's epilogue (plain, ADD,
// SWIGLU, SWIGLU with ROUTER, output in the storage type; see shared/gemm_epilogue.wgsl):
//
//   acc[m, n] = Σ_{z = 0..S} P[z, m, n]        P: [S, MP, N] f32; S is passed in the parameters' `k`,
//                                              MP (rows per range, ≥ M) in `kz`, 0 meaning M
//
// Launch: ⌈M·⌈N/2⌉ / 256⌉ workgroups (ids folded over x and y) of 256; invocation i takes the column pair
// (2j, 2j + 1) of row m (i = m·⌈N/2⌉ + j), so a SwiGLU pair is in one invocation. The sum runs in z order:
// bitwise reproducible, and equal to no split only where S = 1. PERMUTED: P's columns as gemm.wgsl's
// PERM stores them (N % 32 == 0).

#import gemm_epilogue

@group(0) @binding(1) var<storage, read> partial: array<f32>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let pairs = (p.n + 1u) / 2u;
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let r = i / pairs;
    let col = (i % pairs) * 2u;
    if (r >= p.m) {
        return;
    }
    let two = col + 1u < p.n;
    let rows = select(p.m, p.kz, p.kz != 0u);
    var v0 = 0.0;
    var v1 = 0.0;
    for (var z = 0u; z < p.k; z++) {
        let o = (z * rows + r) * p.n;
#if PERMUTED
        // Stored by PERM (see perm_col).
        v0 += partial[o + perm_col(col)];
        if (two) {
            v1 += partial[o + perm_col(col + 1u)];
        }
#else
        v0 += partial[o + col];
        if (two) {
            v1 += partial[o + col + 1u];
        }
#endif
    }
    store(r, col, v0, v1);
    if (two) {
        store(r, col + 1u, v1, 0.0);
    }
}
