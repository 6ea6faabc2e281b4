// gemm_epilogue: what gemm.wgsl and gemm_coop.wgsl share: parameters, output bindings, and the epilogue
// that writes one accumulated element (see gemm.wgsl for the math of plain, ADD, SWIGLU and ROUTER).

struct Params {
    m: u32,
    n: u32,
    k: u32,
    // ROUTER: the first column that is a router logit, not a gate/up column.
    split: u32,
    // SPLITK: the K range of workgroup z is [z·kz, min(K, (z+1)·kz)); 0 without split-K.
    kz: u32,
    // COLS: this GEMM's N columns lie in the output at col0 .. col0 + N of rows ldc wide (0: N). A weight
    // larger than one binding runs as one GEMM per block of its rows (`Columns` in the host code);
    // `split`, ROUTER's first router column, counts in the output's columns.
    col0: u32,
    ldc: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
// QUADS (gemm.wgsl with SWIGLU only): C bound as vec2s, so that the two outputs of an invocation's four
// adjacent columns leave in one store (`store_quad`). Set by the host where N, and with COLS the output's
// first column and row width, and with ROUTER the first router column, are multiples of 4
// (`gemm_dispatch` and `gemm` in src/gpu/stages/gemm.rs): then no quad straddles a row, the end of C or
// the router split.
#if QUADS
@group(0) @binding(3) var<storage, read_write> c: array<vec2<out_elem>>;
#else
@group(0) @binding(3) var<storage, read_write> c: array<out_elem>;
#endif
#if ADD
@group(0) @binding(4) var<storage, read> d: array<f32>;
#endif
#if ROUTER
@group(0) @binding(5) var<storage, read_write> z: array<f32>;
#endif

// SPLITK: the K range of this workgroup, and where its partial product starts in C (rows z·M ..), for the
// helpers (gemm.wgsl's STREAMK sets them for each of its two pieces). Loops with barriers take the range
// from k_range's result instead: browsers' uniformity analysis counts a private variable as non-uniform.
var<private> k_begin: u32;
var<private> k_end: u32;
var<private> row_base: u32;

// The K range (begin, end) of workgroup z: all of K without SPLITK. Computed from uniform values only, so
// loops with barriers can take their bounds from it.
fn k_bounds(z: u32) -> vec2<u32> {
#if SPLITK
    return vec2<u32>(z * p.kz, min(p.k, z * p.kz + p.kz));
#else
    return vec2<u32>(0u, p.k);
#endif
}

// Sets k_begin, k_end and row_base for workgroup z; returns k_bounds(z).
fn k_range(z: u32) -> vec2<u32> {
    let kr = k_bounds(z);
    k_begin = kr.x;
    k_end = kr.y;
#if SPLITK
    row_base = z * p.m;
#else
    row_base = 0u;
#endif
    return kr;
}

// PERM (gemm.wgsl's SPLITK and STREAMK, where N % 32 == 0): the partial products' column g is stored at
// perm_col(g) (shared/perm_col.wgsl). Consumers read them back with PERMUTED (gemm_reduce here, the
// expert stage in shared/expert_sum.wgsl).
#import perm_col

fn silu(x: f32) -> f32 {
    return x / (1.0 + exp(-x));
}

// Width of the output's rows, and this GEMM's first column in them: with COLS ldc (0: N) and col0, else
// N and 0 (the whole of C: the code of a weight in one binding stays as it was).
fn out_ld() -> u32 {
#if COLS
    return select(p.n, p.ldc, p.ldc != 0u);
#else
    return p.n;
#endif
}

fn out_col0() -> u32 {
#if COLS
    return p.col0;
#else
    return 0u;
#endif
}

#if QUADS
// Writes the outputs of accumulated elements (r, col .. col + 4) = v (col a multiple of 4) in one store:
// what `store` makes of each of the four (the same expressions, so the same bits).
fn store_quad(r: u32, col: u32, v: vec4<f32>) {
    if (r >= p.m || col >= p.n) {
        return;
    }
    let g = out_col0() + col;
    let ld = out_ld();
#if ROUTER
    if (g >= p.split) {
        let o = r * (ld - p.split) + g - p.split;
        z[o] = v.x;
        z[o + 1u] = v.y;
        z[o + 2u] = v.z;
        z[o + 3u] = v.w;
        return;
    }
    let half_n = p.split / 2u;
#else
    let half_n = ld / 2u;
#endif
    c[(r * half_n + g / 2u) / 2u] = vec2<out_elem>(out_elem(silu(v.x) * v.y), out_elem(silu(v.z) * v.w));
}
#else
// Writes accumulated element (r, col) = v; `next` is element (r, col + 1), the up half of a SwiGLU pair
// (col0 is even, so pairs never straddle two GEMMs).
fn store(r: u32, col: u32, v: f32, next: f32) {
    if (r >= p.m || col >= p.n) {
        return;
    }
    let g = out_col0() + col;
    let ld = out_ld();
#if SWIGLU
#if ROUTER
    if (g >= p.split) {
        z[r * (ld - p.split) + g - p.split] = v;
        return;
    }
    let half_n = p.split / 2u;
#else
    let half_n = ld / 2u;
#endif
    if (g % 2u == 0u) {
        c[r * half_n + g / 2u] = out_elem(silu(v) * next);
    }
#else
#if ADD
    c[r * ld + g] = out_elem(v + d[r * ld + g]);
#else
#if PERM
    c[(row_base + r) * ld + perm_col(g)] = out_elem(v);
#else
    c[(row_base + r) * ld + g] = out_elem(v);
#endif
#endif
#endif
}
#endif
