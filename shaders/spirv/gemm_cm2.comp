#version 450
// gemm_cm2: C = A · Bᵀ on tensor cores through NVIDIA's cooperative-matrix-2 extension
// (VK_NV_cooperative_matrix2), the math of gemm_coop.wgsl's plain and ADD epilogues:
//
//   acc[m, n] = Σ_k A[m, k] · B[n, k]        A: [M, K] f16, B: [N, K] f16, K % 8 == 0
//   plain: C = acc (f32)    ADD: C = acc + D (f32, or f16 with OUT16)
//
// WGSL cannot say this: each workgroup multiplies one BM × BN tile as workgroup-scope matrices loaded
// straight from global memory through tensor layouts, so the driver stages the operands (its own
// asynchronous copies and workgroup memory) instead of our loads, stores and barriers. Measured on an
// H100 (BENCHMARKS.md): 4096×1024×4096 at ~233 TFLOP/s against ~157 for gemm_coop.wgsl (at 4096×8320×1024
// it is no faster: ~175–189 over every tile tried, against 186).
//
// Compiled to SPIR-V by `cargo xtask spirv` (glslang 15 or newer) into shaders/spirv/*.spv, which the
// crate embeds and hands to the driver through wgpu's SPIR-V passthrough (naga does not read this).
// Defines: WG (invocations), BM, BN (tile), BK (K step), UNROLL (K steps per loop iteration), ADD, OUT16.
//
// A tile wholly inside A and B with K % BK == 0 loads without bounds checks; any other reads zeros
// outside the matrices (clamped layouts). Stores outside C are dropped. The sum over k runs in a fixed
// order: bitwise reproducible.
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_KHR_memory_scope_semantics : enable
#extension GL_KHR_cooperative_matrix : enable
#extension GL_NV_cooperative_matrix2 : enable
#extension GL_EXT_control_flow_attributes : enable

layout(local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

// The uniform parameters of gemm_epilogue.wgsl (split, kz, col0 and ldc unused here).
layout(set = 0, binding = 0) uniform Params {
    uint M;
    uint N;
    uint K;
    uint split;
    uint kz;
    uint col0;
    uint ldc;
} p;
layout(set = 0, binding = 1) readonly buffer A { float16_t a[]; };
layout(set = 0, binding = 2) readonly buffer B { float16_t b[]; };
#ifdef OUT16
layout(set = 0, binding = 3) writeonly buffer C { float16_t c[]; };
#else
layout(set = 0, binding = 3) writeonly buffer C { float c[]; };
#endif
#ifdef ADD
layout(set = 0, binding = 4) readonly buffer D { float d[]; };
#endif

#define ACC coopmat<float, gl_ScopeWorkgroup, BM, BN, gl_MatrixUseAccumulator>
#define MAT_A coopmat<float16_t, gl_ScopeWorkgroup, BM, BK, gl_MatrixUseA>
#define MAT_B coopmat<float16_t, gl_ScopeWorkgroup, BK, BN, gl_MatrixUseB>
#define CLAMPED tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV>

void main() {
    const uint m0 = gl_WorkGroupID.y * BM;
    const uint n0 = gl_WorkGroupID.x * BN;
    // K % 8 == 0: every row starts 16-byte aligned, which the mask tells the compiler.
    const uint stride = p.K & ~7u;
    tensorViewNV<2, false, 1, 0> transposed = createTensorViewNV(2, false, 1, 0);

    CLAMPED lc = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
    lc = setTensorLayoutDimensionNV(lc, p.M, p.N);
    ACC acc = ACC(0.0);

    if (m0 + BM <= p.M && n0 + BN <= p.N && p.K % BK == 0) {
        tensorLayoutNV<2> la = createTensorLayoutNV(2);
        tensorLayoutNV<2> lb = createTensorLayoutNV(2);
        la = setTensorLayoutDimensionNV(la, p.M, p.K);
        lb = setTensorLayoutDimensionNV(lb, p.N, p.K);
        la = setTensorLayoutStrideNV(la, stride, 1);
        lb = setTensorLayoutStrideNV(lb, stride, 1);
        const uint steps = p.K / BK;
        uint k = 0;
        uint s = 0;
        for (; s + UNROLL <= steps; s += UNROLL) {
            [[unroll]] for (uint u = 0; u < UNROLL; ++u) {
                MAT_A ma;
                MAT_B mb;
                coopMatLoadTensorNV(ma, a, 0, sliceTensorLayoutNV(la, m0, BM, k, BK));
                coopMatLoadTensorNV(mb, b, 0, sliceTensorLayoutNV(lb, n0, BN, k, BK), transposed);
                acc = coopMatMulAdd(ma, mb, acc);
                k += BK;
            }
        }
        for (; s < steps; ++s) {
            MAT_A ma;
            MAT_B mb;
            coopMatLoadTensorNV(ma, a, 0, sliceTensorLayoutNV(la, m0, BM, k, BK));
            coopMatLoadTensorNV(mb, b, 0, sliceTensorLayoutNV(lb, n0, BN, k, BK), transposed);
            acc = coopMatMulAdd(ma, mb, acc);
            k += BK;
        }
    } else {
        CLAMPED la = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
        CLAMPED lb = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
        la = setTensorLayoutDimensionNV(la, p.M, p.K);
        lb = setTensorLayoutDimensionNV(lb, p.N, p.K);
        la = setTensorLayoutStrideNV(la, stride, 1);
        lb = setTensorLayoutStrideNV(lb, stride, 1);
        for (uint k = 0; k < p.K; k += BK) {
            MAT_A ma;
            MAT_B mb;
            coopMatLoadTensorNV(ma, a, 0, sliceTensorLayoutNV(la, m0, BM, k, BK));
            coopMatLoadTensorNV(mb, b, 0, sliceTensorLayoutNV(lb, n0, BN, k, BK), transposed);
            acc = coopMatMulAdd(ma, mb, acc);
        }
    }

#ifdef ADD
    // D joins after the loop: loaded first, as the accumulators' start, it held up every tile's first
    // multiply (the down projection took 0.17 ms that way, 0.158 so).
    ACC dm;
    coopMatLoadTensorNV(dm, d, 0, sliceTensorLayoutNV(lc, m0, BM, n0, BN));
    acc = acc + dm;
#endif
#ifdef OUT16
    coopmat<float16_t, gl_ScopeWorkgroup, BM, BN, gl_MatrixUseAccumulator> out16 =
        coopmat<float16_t, gl_ScopeWorkgroup, BM, BN, gl_MatrixUseAccumulator>(acc);
    coopMatStoreTensorNV(out16, c, 0, sliceTensorLayoutNV(lc, m0, BM, n0, BN));
#else
    coopMatStoreTensorNV(acc, c, 0, sliceTensorLayoutNV(lc, m0, BM, n0, BN));
#endif
}
