#version 450
// The WGSL tensor-core GEMM's algorithm (shaders/gemm_coop.wgsl, plain f32 output, DIRECT stores, one
// staging buffer of f16vec2, rows padded to TK + 8 halves, the next block's 16-byte loads in registers
// during the multiplies) written in GLSL with GL_KHR_cooperative_matrix, for a probe through SPIR-V
// passthrough: the same tiling compiled by glslang instead of naga.
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_control_flow_attributes : require

// -D SG_R, SG_C, FM, TK
#define WG (32 * SG_R * SG_C)
#define TILE_M (SG_R * FM * 16)
#define TILE_N (SG_C * 64)
#define PITCH ((TK + 8) / 2)
#define ROW_CHUNKS (TK / 8)
#define CA (TILE_M * ROW_CHUNKS / WG)
#define CB (TILE_N * ROW_CHUNKS / WG)
#define SA (TILE_M * PITCH)
#define SB (TILE_N * PITCH)

layout(local_size_x = WG) in;
layout(binding = 0) uniform Params { uint m; uint n; uint k; uint split; uint kz; uint col0; uint ldc; } p;
layout(binding = 1) readonly buffer BA { uvec4 a[]; };
layout(binding = 2) readonly buffer BB { uvec4 b[]; };
layout(binding = 3) buffer BC { float c[]; };

shared f16vec2 As[SA];
shared f16vec2 Bs[SB];

uvec4 ra[CA];
uvec4 rb[CB];

void load_block(uint li, uint row0, uint col0, uint k0) {
    uint k8 = p.k / 8;
    [[unroll]] for (uint j = 0; j < CA; j++) {
        uint e = li + WG * j;
        uint r = e / ROW_CHUNKS;
        uint kq = (e % ROW_CHUNKS) * 8;
        uvec4 v = uvec4(0);
        if (k0 + kq < p.k && row0 + r < p.m) {
            v = a[(row0 + r) * k8 + (k0 + kq) / 8];
        }
        ra[j] = v;
    }
    [[unroll]] for (uint j = 0; j < CB; j++) {
        uint e = li + WG * j;
        uint r = e / ROW_CHUNKS;
        uint kq = (e % ROW_CHUNKS) * 8;
        uvec4 v = uvec4(0);
        if (k0 + kq < p.k && col0 + r < p.n) {
            v = b[(col0 + r) * k8 + (k0 + kq) / 8];
        }
        rb[j] = v;
    }
}

void store_block(uint li) {
    [[unroll]] for (uint j = 0; j < CA; j++) {
        uint e = li + WG * j;
        uint o = (e / ROW_CHUNKS) * PITCH + (e % ROW_CHUNKS) * 4;
#ifdef ROUNDTRIP
        As[o] = f16vec2(unpackHalf2x16(ra[j].x));
        As[o + 1] = f16vec2(unpackHalf2x16(ra[j].y));
        As[o + 2] = f16vec2(unpackHalf2x16(ra[j].z));
        As[o + 3] = f16vec2(unpackHalf2x16(ra[j].w));
#else
        As[o] = unpackFloat2x16(ra[j].x);
        As[o + 1] = unpackFloat2x16(ra[j].y);
        As[o + 2] = unpackFloat2x16(ra[j].z);
        As[o + 3] = unpackFloat2x16(ra[j].w);
#endif
    }
    [[unroll]] for (uint j = 0; j < CB; j++) {
        uint e = li + WG * j;
        uint o = (e / ROW_CHUNKS) * PITCH + (e % ROW_CHUNKS) * 4;
#ifdef ROUNDTRIP
        Bs[o] = f16vec2(unpackHalf2x16(rb[j].x));
        Bs[o + 1] = f16vec2(unpackHalf2x16(rb[j].y));
        Bs[o + 2] = f16vec2(unpackHalf2x16(rb[j].z));
        Bs[o + 3] = f16vec2(unpackHalf2x16(rb[j].w));
#else
        Bs[o] = unpackFloat2x16(rb[j].x);
        Bs[o + 1] = unpackFloat2x16(rb[j].y);
        Bs[o + 2] = unpackFloat2x16(rb[j].z);
        Bs[o + 3] = unpackFloat2x16(rb[j].w);
#endif
    }
}

void main() {
    uint li = gl_LocalInvocationIndex;
    uint sg = gl_SubgroupID;
    uint row0 = gl_WorkGroupID.y * TILE_M;
    uint col0 = gl_WorkGroupID.x * TILE_N;
    uint sr = (sg / SG_C) * (FM * 16);
    uint sc = (sg % SG_C) * 64;
    coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> acc[FM][4];
    [[unroll]] for (uint i = 0; i < FM; i++) {
        [[unroll]] for (uint j = 0; j < 4; j++) {
            acc[i][j] = coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>(0.0);
        }
    }
    load_block(li, row0, col0, 0);
    store_block(li);
    barrier();
    for (uint k0 = 0; k0 < p.k; k0 += TK) {
        bool more = k0 + TK < p.k;
        if (more) {
            load_block(li, row0, col0, k0 + TK);
        }
        uint abase = sr * PITCH;
        uint bbase = sc * PITCH;
        [[unroll]] for (uint k16 = 0; k16 < TK; k16 += 16) {
            uint kk = k16 / 2;
            coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> bm[4];
            [[unroll]] for (uint j = 0; j < 4; j++) {
                coopMatLoad(bm[j], Bs, bbase + j * 16 * PITCH + kk, PITCH, gl_CooperativeMatrixLayoutColumnMajor);
            }
            [[unroll]] for (uint i = 0; i < FM; i++) {
                coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> am;
                coopMatLoad(am, As, abase + i * 16 * PITCH + kk, PITCH, gl_CooperativeMatrixLayoutRowMajor);
                [[unroll]] for (uint j = 0; j < 4; j++) {
                    acc[i][j] = coopMatMulAdd(am, bm[j], acc[i][j]);
                }
            }
        }
        barrier();
        if (more) {
            store_block(li);
        }
        barrier();
    }
    [[unroll]] for (uint i = 0; i < FM; i++) {
        [[unroll]] for (uint j = 0; j < 4; j++) {
            uint o = (row0 + sr + i * 16) * p.n + col0 + sc + j * 16;
            coopMatStore(acc[i][j], c, o, p.n, gl_CooperativeMatrixLayoutRowMajor);
        }
    }
}
