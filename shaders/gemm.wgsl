// gemm: C = A · Bᵀ with a fused epilogue.
//
//   acc[m, n] = Σ_k A[m, k] · B[n, k]        A: [M, K] elem, B: [N, K] elem (PyTorch's [out, in] layout)
//   plain:  C[m, n] = acc[m, n]              C: [M, N] out_elem
//   ADD:    C[m, n] = acc[m, n] + D[m, n]    D: [M, N] f32 (the expert branch added to the dense output)
//   SWIGLU: C[m, n/2] = SiLU(acc[m, n]) · acc[m, n + 1] for even n: B's rows interleave gate and up
//           (row 2i = W_gate[i], row 2i+1 = W_up[i]), so C = SiLU(x W_gateᵀ) ⊙ (x W_upᵀ), [M, N/2].
//
// Launch: workgroups (⌈N/64⌉, ⌈M/64⌉), 256 invocations; each workgroup owns a 64×64 tile of C and walks K
// in steps of 16 through workgroup memory; each invocation accumulates a 4×4 block in f32 registers.
// The sum over k runs in increasing k for every element, so results are bitwise reproducible.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<elem>;
@group(0) @binding(2) var<storage, read> b: array<elem>;
@group(0) @binding(3) var<storage, read_write> c: array<out_elem>;
#if ADD
@group(0) @binding(4) var<storage, read> d: array<f32>;
#endif

const TILE: u32 = 64u;
const TK: u32 = 16u;

// [TK][TILE]: As[k * 64 + m] = A[row0 + m, k0 + k], Bs likewise for B.
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;

fn silu(z: f32) -> f32 {
    return z / (1.0 + exp(-z));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let tx = li % 16u;
    let ty = li / 16u;
    var acc: array<vec4<f32>, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = vec4<f32>(0.0);
    }
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
        // Stage a 64×16 block of A and of B: element e = li + 256 j sits at row e / 16, column e % 16, so
        // 16 neighbouring invocations read 16 neighbouring k.
        for (var j = 0u; j < 4u; j++) {
            let e = li + 256u * j;
            let r = e / TK;
            let kk = e % TK;
            let gk = k0 + kk;
            var av = 0.0;
            if (row0 + r < p.m && gk < p.k) {
                av = f32(a[(row0 + r) * p.k + gk]);
            }
            var bv = 0.0;
            if (col0 + r < p.n && gk < p.k) {
                bv = f32(b[(col0 + r) * p.k + gk]);
            }
            As[kk * TILE + r] = av;
            Bs[kk * TILE + r] = bv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let ao = kk * TILE + ty * 4u;
            let bo = kk * TILE + tx * 4u;
            let av = vec4<f32>(As[ao], As[ao + 1u], As[ao + 2u], As[ao + 3u]);
            let bv = vec4<f32>(Bs[bo], Bs[bo + 1u], Bs[bo + 2u], Bs[bo + 3u]);
            acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
            acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
            acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
            acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + ty * 4u + i;
        if (r >= p.m) {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + tx * 4u + j;
            if (col >= p.n) {
                continue;
            }
#if SWIGLU
            if (j % 2u == 0u) {
                c[r * (p.n / 2u) + col / 2u] = out_elem(silu(acc[i][j]) * acc[i][j + 1u]);
            }
#else
#if ADD
            c[r * p.n + col] = out_elem(acc[i][j] + d[r * p.n + col]);
#else
            c[r * p.n + col] = out_elem(acc[i][j]);
#endif
#endif
        }
    }
}
