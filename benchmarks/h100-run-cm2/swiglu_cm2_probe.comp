#version 450
// Probe only: gate/up GEMM with the SwiGLU epilogue in cooperative matrix 2. B rows interleaved
// (gate row j at 2j, up row j at 2j+1); each workgroup: BM rows × BN pairs, two accumulators.
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_KHR_memory_scope_semantics : enable
#extension GL_KHR_cooperative_matrix : enable
#extension GL_NV_cooperative_matrix2 : enable
#extension GL_EXT_control_flow_attributes : enable
layout(local_size_x = WG, local_size_y = 1, local_size_z = 1) in;
layout(set = 0, binding = 0) uniform Params { uint M; uint N; uint K; uint pad; } p;
layout(set = 0, binding = 1) readonly buffer A { float16_t a[]; };
layout(set = 0, binding = 2) readonly buffer B { float16_t b[]; };
layout(set = 0, binding = 3) writeonly buffer C { float16_t c[]; };
#define ACC coopmat<float, gl_ScopeWorkgroup, BM, BN, gl_MatrixUseAccumulator>
void main() {
    const uint m0 = gl_WorkGroupID.y * BM;
    const uint n0 = gl_WorkGroupID.x * BN;
    const uint stride = p.K & ~7u;
    const uint pairs = p.N / 2;
    tensorViewNV<2, false, 1, 0> transposed = createTensorViewNV(2, false, 1, 0);
    tensorLayoutNV<2> la = createTensorLayoutNV(2);
    tensorLayoutNV<2> lb = createTensorLayoutNV(2);
    la = setTensorLayoutDimensionNV(la, p.M, p.K);
    lb = setTensorLayoutDimensionNV(lb, pairs, p.K);
    la = setTensorLayoutStrideNV(la, stride, 1);
    lb = setTensorLayoutStrideNV(lb, 2 * stride, 1);
    tensorLayoutNV<2, gl_CooperativeMatrixClampModeConstantNV> lc = createTensorLayoutNV(2, gl_CooperativeMatrixClampModeConstantNV);
    lc = setTensorLayoutDimensionNV(lc, p.M, pairs);
    ACC g = ACC(0.0);
    ACC u = ACC(0.0);
    const uint steps = p.K / BK;
    uint k = 0;
    for (uint s = 0; s + UNROLL <= steps; s += UNROLL) {
        [[unroll]] for (uint v = 0; v < UNROLL; ++v) {
            coopmat<float16_t, gl_ScopeWorkgroup, BM, BK, gl_MatrixUseA> ma;
            coopmat<float16_t, gl_ScopeWorkgroup, BK, BN, gl_MatrixUseB> mg;
            coopmat<float16_t, gl_ScopeWorkgroup, BK, BN, gl_MatrixUseB> mu;
            coopMatLoadTensorNV(ma, a, 0, sliceTensorLayoutNV(la, m0, BM, k, BK));
            coopMatLoadTensorNV(mg, b, 0, sliceTensorLayoutNV(lb, n0, BN, k, BK), transposed);
            coopMatLoadTensorNV(mu, b, stride, sliceTensorLayoutNV(lb, n0, BN, k, BK), transposed);
            g = coopMatMulAdd(ma, mg, g);
            u = coopMatMulAdd(ma, mu, u);
            k += BK;
        }
    }
    for (uint i = 0; i < g.length(); ++i) {
        float x = g[i];
        g[i] = x / (1.0 + exp(-x)) * u[i];
    }
    coopmat<float16_t, gl_ScopeWorkgroup, BM, BN, gl_MatrixUseAccumulator> o =
        coopmat<float16_t, gl_ScopeWorkgroup, BM, BN, gl_MatrixUseAccumulator>(g);
    coopMatStoreTensorNV(o, c, 0, sliceTensorLayoutNV(lc, m0, BM, n0, BN));
}
