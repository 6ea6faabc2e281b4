// gemm's staging of a K step: global memory → registers (`fetch8` with VEC8, else `fetch_a` / `fetch_b`)
// → workgroup memory (`put8` / `put`, as f32 in the k-major blocks `at` lays out). See gemm.wgsl, which
// imports this file after its declarations.

#if VEC8
// VEC8 (f16 storage, K % 8 == 0, K step 8, single-buffered): each invocation loads one row's eight halves
// of a step in one 16-byte load, invocations 0..127 A's rows and 128..255 B's, and stores them as f32 in
// the eight k rows of its operand's block (a subgroup's 32 rows of one k: 32 distinct banks). With two
// 8-byte loads a lane, four conversions each and the transposing stores of the f32 build, the H100 ran
// this kernel 9–10% slower (BENCHMARKS.md, "The SIMT GEMM's epilogue and f16 loads"); f32 staged this
// way (a lane loading its row's 32 bytes) ran 13–16% slower than its own staging there.
// The eight halves of row `row` of A (`is_a`) or B from k, packed (zeros outside the matrix).
fn fetch8(row: u32, k: u32, is_a: bool) -> vec4<u32> {
    if (k >= k_end) {
        return vec4<u32>(0u);
    }
    if (is_a) {
        if (row >= p.m) {
            return vec4<u32>(0u);
        }
        return a[(row * p.k + k) / 8u];
    }
    if (row >= p.n) {
        return vec4<u32>(0u);
    }
#if SLABS
    return b[(k / 8u) * p.n + row];
#else
    return b[(row * p.k + k) / 8u];
#endif
}

// Stores packed halves `v` of row r (of the block) as f32 at k 0..8 of A's (`is_a`) or B's block. The
// two branches are written out: through one helper choosing the block per store the H100 ran the f16
// GEMMs 1–2% slower (BENCHMARKS.md).
fn put8(r: u32, is_a: bool, v: vec4<u32>) {
    let lo = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
    let hi = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
    let slot = r / 4u;
    let lane = r % 4u;
    if (is_a) {
        As[slot + at(0u)][lane] = lo.x;
        As[slot + at(1u)][lane] = lo.y;
        As[slot + at(2u)][lane] = lo.z;
        As[slot + at(3u)][lane] = lo.w;
        As[slot + at(4u)][lane] = hi.x;
        As[slot + at(5u)][lane] = hi.y;
        As[slot + at(6u)][lane] = hi.z;
        As[slot + at(7u)][lane] = hi.w;
    } else {
        Bs[slot + at(0u)][lane] = lo.x;
        Bs[slot + at(1u)][lane] = lo.y;
        Bs[slot + at(2u)][lane] = lo.z;
        Bs[slot + at(3u)][lane] = lo.w;
        Bs[slot + at(4u)][lane] = hi.x;
        Bs[slot + at(5u)][lane] = hi.y;
        Bs[slot + at(6u)][lane] = hi.z;
        Bs[slot + at(7u)][lane] = hi.w;
    }
}
#else
// A[row, k .. k + 4] (zeros outside the matrix); k is a multiple of 4.
fn fetch_a(row: u32, k: u32) -> vec4<f32> {
    if (row >= p.m) {
        return vec4<f32>(0.0);
    }
#if VEC4
    if (k >= k_end) {
        return vec4<f32>(0.0);
    }
    return vec4<f32>(a[(row * p.k + k) / 4u]);
#else
    var v = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
        if (k + j < k_end) {
            v[j] = f32(a[row * p.k + k + j]);
        }
    }
    return v;
#endif
}

fn fetch_b(row: u32, k: u32) -> vec4<f32> {
    if (row >= p.n) {
        return vec4<f32>(0.0);
    }
#if VEC4
    if (k >= k_end) {
        return vec4<f32>(0.0);
    }
#if SLABS
    return vec4<f32>(b[(k / 8u) * p.n * 2u + row * 2u + (k % 8u) / 4u]);
#else
    return vec4<f32>(b[(row * p.k + k) / 4u]);
#endif
#else
    var v = vec4<f32>(0.0);
    for (var j = 0u; j < 4u; j++) {
        if (k + j < k_end) {
            v[j] = f32(b[row * p.k + k + j]);
        }
    }
    return v;
#endif
}

// Puts A[row0 + r, k .. k + 4] and B[col0 + r, k .. k + 4] (k relative to the block, a multiple of 4) in
// workgroup memory.
fn put(base: u32, r: u32, k: u32, a4: vec4<f32>, b4: vec4<f32>) {
    // k is a multiple of 4: k .. k + 3 share a group, 33 vec4s apart.
    let slot = base + at(k) + r / 4u;
    let lane = r % 4u;
    As[slot][lane] = a4.x;
    As[slot + 33u][lane] = a4.y;
    As[slot + 66u][lane] = a4.z;
    As[slot + 99u][lane] = a4.w;
    Bs[slot][lane] = b4.x;
    Bs[slot + 33u][lane] = b4.y;
    Bs[slot + 66u][lane] = b4.z;
    Bs[slot + 99u][lane] = b4.w;
}

#endif
