#version 450
// shaders/gemm.wgsl's SIMT algorithm (f32, VEC4 loads, 128 x 128 tiles, 8 x 8 per invocation, the staged
// blocks k-major with the K-step-16 swizzle, the next step's blocks fetched into registers during the
// multiplies, two barriers a step), plain f32 output, in GLSL for the passthrough probe. -D TK=8|16.
layout(local_size_x = 256) in;
layout(binding = 0) uniform Params { uint m; uint n; uint k; uint split; uint kz; uint col0; uint ldc; } p;
layout(binding = 1) readonly buffer BA { vec4 a[]; };
layout(binding = 2) readonly buffer BB { vec4 b[]; };
layout(binding = 3) buffer BC { float c[]; };

shared vec4 As[512];
shared vec4 Bs[512];

uint swz(uint k) {
    if (TK != 16) {
        return 0u;
    }
    return ((k / 4u) % 4u) * 2u;
}

vec4 fetch_a(uint row, uint k) {
    if (row >= p.m || k >= p.k) {
        return vec4(0.0);
    }
    return a[(row * p.k + k) / 4u];
}

vec4 fetch_b(uint row, uint k) {
    if (row >= p.n || k >= p.k) {
        return vec4(0.0);
    }
    return b[(row * p.k + k) / 4u];
}

void put(uint r, uint k, vec4 a4, vec4 b4) {
    uint slot = k * 32u + ((r / 4u) ^ swz(k));
    uint lane = r % 4u;
    As[slot][lane] = a4.x;
    As[slot + 32u][lane] = a4.y;
    As[slot + 64u][lane] = a4.z;
    As[slot + 96u][lane] = a4.w;
    Bs[slot][lane] = b4.x;
    Bs[slot + 32u][lane] = b4.y;
    Bs[slot + 64u][lane] = b4.z;
    Bs[slot + 96u][lane] = b4.w;
}

void store4(uint r, uint col, vec4 v) {
    if (r >= p.m) {
        return;
    }
    for (uint j = 0u; j < 4u; j++) {
        if (col + j < p.n) {
            c[r * p.n + col + j] = v[j];
        }
    }
}

void main() {
    uint li = gl_LocalInvocationIndex;
    uint row0 = gl_WorkGroupID.y * 128u;
    uint col0 = gl_WorkGroupID.x * 128u;
    uint lane = li % 32u;
    uint w = li / 32u;
    uint tx = (w % 2u) * 8u + lane % 8u;
    uint ty = (w / 2u) * 4u + lane / 8u;
    uint per_row = TK / 4u;
    uint lr0 = li / per_row;
    uint lk0 = (li % per_row) * 4u;
    uint lr1 = (li + 256u) / per_row;
    uint lk1 = ((li + 256u) % per_row) * 4u;
    vec4 c00 = vec4(0.0), c01 = vec4(0.0), c10 = vec4(0.0), c11 = vec4(0.0);
    vec4 c20 = vec4(0.0), c21 = vec4(0.0), c30 = vec4(0.0), c31 = vec4(0.0);
    vec4 c40 = vec4(0.0), c41 = vec4(0.0), c50 = vec4(0.0), c51 = vec4(0.0);
    vec4 c60 = vec4(0.0), c61 = vec4(0.0), c70 = vec4(0.0), c71 = vec4(0.0);
    vec4 na0 = fetch_a(row0 + lr0, lk0);
    vec4 nb0 = fetch_b(col0 + lr0, lk0);
    vec4 na1 = vec4(0.0);
    vec4 nb1 = vec4(0.0);
    if (TK == 16) {
        na1 = fetch_a(row0 + lr1, lk1);
        nb1 = fetch_b(col0 + lr1, lk1);
    }
    for (uint k0 = 0u; k0 < p.k; k0 += TK) {
        put(lr0, lk0, na0, nb0);
        if (TK == 16) {
            put(lr1, lk1, na1, nb1);
        }
        barrier();
        na0 = fetch_a(row0 + lr0, k0 + TK + lk0);
        nb0 = fetch_b(col0 + lr0, k0 + TK + lk0);
        if (TK == 16) {
            na1 = fetch_a(row0 + lr1, k0 + TK + lk1);
            nb1 = fetch_b(col0 + lr1, k0 + TK + lk1);
        }
        for (uint kk = 0u; kk < TK; kk++) {
            uint row = kk * 32u;
            uint sy = ty ^ swz(kk);
            uint sx = tx ^ swz(kk);
            vec4 a0 = As[row + sy];
            vec4 a1 = As[row + 16u + sy];
            vec4 b0 = Bs[row + sx];
            vec4 b1 = Bs[row + 16u + sx];
            c00 = fma(vec4(a0.x), b0, c00);
            c01 = fma(vec4(a0.x), b1, c01);
            c10 = fma(vec4(a0.y), b0, c10);
            c11 = fma(vec4(a0.y), b1, c11);
            c20 = fma(vec4(a0.z), b0, c20);
            c21 = fma(vec4(a0.z), b1, c21);
            c30 = fma(vec4(a0.w), b0, c30);
            c31 = fma(vec4(a0.w), b1, c31);
            c40 = fma(vec4(a1.x), b0, c40);
            c41 = fma(vec4(a1.x), b1, c41);
            c50 = fma(vec4(a1.y), b0, c50);
            c51 = fma(vec4(a1.y), b1, c51);
            c60 = fma(vec4(a1.z), b0, c60);
            c61 = fma(vec4(a1.z), b1, c61);
            c70 = fma(vec4(a1.w), b0, c70);
            c71 = fma(vec4(a1.w), b1, c71);
        }
        barrier();
    }
    store4(row0 + ty * 4u + 0u, col0 + tx * 4u, c00);
    store4(row0 + ty * 4u + 0u, col0 + 64u + tx * 4u, c01);
    store4(row0 + ty * 4u + 1u, col0 + tx * 4u, c10);
    store4(row0 + ty * 4u + 1u, col0 + 64u + tx * 4u, c11);
    store4(row0 + ty * 4u + 2u, col0 + tx * 4u, c20);
    store4(row0 + ty * 4u + 2u, col0 + 64u + tx * 4u, c21);
    store4(row0 + ty * 4u + 3u, col0 + tx * 4u, c30);
    store4(row0 + ty * 4u + 3u, col0 + 64u + tx * 4u, c31);
    store4(row0 + 64u + ty * 4u + 0u, col0 + tx * 4u, c40);
    store4(row0 + 64u + ty * 4u + 0u, col0 + 64u + tx * 4u, c41);
    store4(row0 + 64u + ty * 4u + 1u, col0 + tx * 4u, c50);
    store4(row0 + 64u + ty * 4u + 1u, col0 + 64u + tx * 4u, c51);
    store4(row0 + 64u + ty * 4u + 2u, col0 + tx * 4u, c60);
    store4(row0 + 64u + ty * 4u + 2u, col0 + 64u + tx * 4u, c61);
    store4(row0 + 64u + ty * 4u + 3u, col0 + tx * 4u, c70);
    store4(row0 + 64u + ty * 4u + 3u, col0 + 64u + tx * 4u, c71);
}
