//! The GEMV against the CPU: any shape (proptest) and deep, narrow ones on 128 lanes; its 16-row build
//! keeps the bits of the 8-row one; a row from two parts (the decode chain) has the bits of their sum.

use super::common::gpu;
use super::common::stage_io::*;
use super::support::*;
use omnimoe::gpu::buffers::{self, elem_bytes, Bind};
use omnimoe::gpu::stages::{self, Columns, Epilogue, GemmKernel, Recorder};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// K from 2100 (as deep as the layer's down projection) runs the four-chunk loop several times a lane
    /// on 64 lanes a column, the padded partial sums at their widest stride.
    #[test]
    fn gemv_matches_cpu(m in 1usize..=16, half_n in 1usize..200, k in prop_oneof![1usize..600, 2100usize..4200], epilogue in 0u8..5, seed: u64) {
        let ctx = gpu();
        let (split, n) = gemm_columns(half_n, epilogue, seed);
        for kernel in gemv_kernels(ctx, k) {
            check_gemm(ctx, kernel, (m, n, k), split, epilogue, seed)?;
        }
    }
}

/// The GEMV in each storage type the adapter has, reading B in rows and, where K % 8 == 0, in K slabs.
fn gemv_kernels(ctx: &omnimoe::gpu::Context, k: usize) -> Vec<GemmKernel> {
    let slabs: &[bool] = if k.is_multiple_of(stages::SLAB_K) {
        &[false, true]
    } else {
        &[false]
    };
    f16_modes(ctx)
        .into_iter()
        .flat_map(|f16| {
            slabs
                .iter()
                .map(move |&slabs| GemmKernel::Gemv { f16, slabs })
        })
        .collect()
}

/// The columns a group the layer's PAIR GEMVs of `m` rows `k` deep stream through `kernel` where four
/// columns a group leave fewer than 512 workgroups: four (QUAD) from 6 rows in chunks of eight halves
/// (f16 storage, K % 8 == 0), else two.
fn paired_columns(kernel: GemmKernel, m: usize, k: usize) -> u32 {
    if m >= 6 && kernel.is_f16() && k.is_multiple_of(8) {
        4
    } else {
        2
    }
}

/// The columns a group of the layer's dispatch of an (m, n, k) GEMV through `kernel`: 4 (QUAD), 2 (PAIR)
/// or 1.
fn group_columns(
    ctx: &omnimoe::gpu::Context,
    kernel: GemmKernel,
    (m, n, k): (usize, usize, usize),
) -> u32 {
    let shape = (m as u32, n as u32, k as u32);
    let (_, variant, _) =
        stages::gemm_dispatch(&ctx.caps, kernel, shape, stages::EpilogueKind::Store);
    match (
        variant.flags.contains("PAIR"),
        variant.flags.contains("QUAD"),
    ) {
        (true, true) => 4,
        (true, false) => 2,
        _ => 1,
    }
}

/// A narrow projection of a wide model, 2048 chunks deep or more (the down projection at I = 16384): the
/// GEMV streams it on 128 lanes a column, two columns a workgroup (`gemv_lanes`), every epilogue.
#[test]
fn gemv_deep_narrow_matches_cpu() {
    let ctx = gpu();
    for f16 in f16_modes(ctx) {
        // 2048 chunks of 8 (f16) or 4 (f32) elements, and a ragged few more.
        let k = if f16 { 16392 } else { 8196 };
        for (m, half_n) in [(1, 40), (3, 65)] {
            for epilogue in 0u8..5 {
                let (split, n) = gemm_columns(half_n, epilogue, 5);
                let kernel = GemmKernel::Gemv { f16, slabs: false };
                check_gemm(ctx, kernel, (m, n, k), split, epilogue, 17 + m as u64).unwrap_or_else(
                    |e| panic!("{kernel:?}, {m}×{n}×{k}, epilogue {epilogue}: {e}"),
                );
            }
        }
    }
}

/// The GEMV's 16-row build (ROWS16, 9 to 16 rows) sums rows 0..8 as the 8-row build does: the first eight
/// rows of a 13-row product have the bits of the 8-row product, in each storage type, rows or K slabs.
#[test]
fn gemv_rows16_keeps_the_bits_of_eight_rows() {
    let ctx = gpu();
    let (n, k) = (70usize, 1032usize);
    let a = uniform(51, 13 * k, -1.0, 1.0);
    let b = uniform(52, n * k, -1.0, 1.0);
    for kernel in gemv_kernels(ctx, k) {
        let ab = buffers::upload(ctx, "a", &elem_bytes(&a, kernel.is_f16()));
        let bb = upload_b(ctx, kernel, &b, k);
        let (ep, cols) = (Epilogue::Store, Columns::ALL);
        let c = |m: usize| gemm_bytes(ctx, kernel, (m, n, k), (&ab, &bb), ep, cols, m * n * 4);
        let (eight, thirteen) = (c(8), c(13));
        assert!(eight[..] == thirteen[..8 * n * 4], "{kernel:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Any GEMV the layer streams on two columns a group (PAIR: at 64 lanes from 4096 columns, from 2
    /// rows; K % 4 == 0, 264 chunks or more), or four from 6 rows in chunks of eight halves (QUAD), against
    /// the CPU: rows, N, K and the epilogue at random, rows and K slabs, each storage type.
    #[test]
    fn gemv_pairs_match_cpu_at_random(m in 2usize..=8, half_n in 2050usize..2300, quads in 528usize..600, epilogue in 0u8..5, seed: u64) {
        let ctx = gpu();
        let k = 4 * quads;
        let (split, n) = gemm_columns(half_n, epilogue, seed);
        for kernel in gemv_kernels(ctx, k) {
            let want = paired_columns(kernel, m, k);
            prop_assert_eq!(group_columns(ctx, kernel, (m, n, k)), want, "{:?} {}×{}×{}", kernel, m, n, k);
            check_gemm(ctx, kernel, (m, n, k), split, epilogue, seed)?;
        }
    }
}

/// A wide projection (the README's gate/up GEMV: over 8192 columns) from 2 rows streams two columns a
/// group (PAIR), from 6 rows in chunks of eight halves four (QUAD): every epilogue against the CPU at 2,
/// 5 and 8 rows (rounds of four, two and one chunk of each column with f32 storage, K leaving the longer
/// rounds a tail of shorter ones), the last workgroup's second columns past N; and the same bits as one
/// column a group: the first row of 2, 3 and 8 rows those of one row (one column a group, on the same
/// lanes), the first eight of 13 (ROWS16) those of 8.
#[test]
fn gemv_pairs_match_cpu_and_keep_the_bits() {
    let ctx = gpu();
    let half_n = 4159;
    // 193 chunks of 8 with f16 storage (32 lanes a column), 387 of 4 (64 lanes).
    for k in [1544usize, 1548] {
        for kernel in gemv_kernels(ctx, k) {
            for (i, m) in [2usize, 5, 8].into_iter().enumerate() {
                let epilogue = ((k + i) % 5) as u8;
                let seed = (k + m) as u64;
                let (split, n) = gemm_columns(half_n, epilogue, seed);
                assert!(
                    group_columns(ctx, kernel, (m, n, k)) == paired_columns(kernel, m, k)
                        && group_columns(ctx, kernel, (1, n, k)) == 1,
                    "{kernel:?}, {m}×{n}×{k}"
                );
                check_gemm(ctx, kernel, (m, n, k), split, epilogue, seed).unwrap_or_else(|e| {
                    panic!("{kernel:?}, {m}×{n}×{k}, epilogue {epilogue}: {e}")
                });
            }
            rows_keep_the_bits(ctx, kernel, (2 * half_n - 1, k), 61, &[2, 3, 8]);
        }
    }
}

/// An (·, n, k) GEMV through `kernel` (A and B from `seed` and `seed + 1`, plain stores): the first row
/// of each of `rows` rows has the bits of one row, and the first eight of 13 (ROWS16) those of 8.
fn rows_keep_the_bits(
    ctx: &omnimoe::gpu::Context,
    kernel: GemmKernel,
    (n, k): (usize, usize),
    seed: u64,
    rows: &[usize],
) {
    let a = uniform(seed, 13 * k, -1.0, 1.0);
    let b = uniform(seed + 1, n * k, -1.0, 1.0);
    let ab = buffers::upload(ctx, "a", &elem_bytes(&a, kernel.is_f16()));
    let bb = upload_b(ctx, kernel, &b, k);
    let (ep, cols) = (Epilogue::Store, Columns::ALL);
    let c = |m: usize| gemm_bytes(ctx, kernel, (m, n, k), (&ab, &bb), ep, cols, m * n * 4);
    let one = c(1);
    for &m in rows {
        assert!(
            one[..] == c(m)[..n * 4],
            "{kernel:?}, K {k}: row 0 of {m} rows"
        );
    }
    assert!(
        c(8)[..] == c(13)[..8 * n * 4],
        "{kernel:?}, K {k}: 8 rows of 13"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The GEMV of one row from two f32 parts (ASUM, the decode chain) reads and stores elem(d + e): its
    /// product has the bits of the plain GEMV of that row, and the row it stores is that row, for the plain
    /// epilogue and the SwiGLU with router columns, rows and K slabs, each storage type.
    #[test]
    fn gemv_parts_read_the_bits_of_their_sum(half_n in 1usize..150, k in prop_oneof![1usize..300, 1000usize..=2048], router: bool, seed: u64) {
        let ctx = gpu();
        let (split, n) = gemm_columns(half_n, if router { 3 } else { 0 }, seed);
        let d = uniform(seed, k, -3.0, 3.0);
        let e = uniform(seed ^ 1, k, -3.0, 3.0);
        let b = uniform(seed ^ 2, n * k, -1.0, 1.0);
        for f16 in f16_modes(ctx) {
            let sum: Vec<f32> = d.iter().zip(&e).map(|(x, y)| x + y).collect();
            let row = elem_bytes(&sum, f16);
            let (db, eb, ab) = (f32_buf(ctx, &d), f32_buf(ctx, &e), buffers::upload(ctx, "a", &row));
            for slabs in [false, true] {
                if slabs && !k.is_multiple_of(stages::SLAB_K) {
                    continue;
                }
                let kernel = GemmKernel::Gemv { f16, slabs };
                let bb = upload_b(ctx, kernel, &b, k);
                let es = buffers::elem_size(f16) as usize;
                let c_len = if router { split / 2 * es } else { n * 4 };
                let z_len = n.saturating_sub(split).max(1) * 4;
                let outs: Vec<[wgpu::Buffer; 2]> = (0..2)
                    .map(|_| [buffers::storage(ctx, "c", c_len as u64), buffers::storage(ctx, "z", z_len as u64)])
                    .collect();
                let xo = buffers::storage(ctx, "x", row.len() as u64);
                let mut rec = Recorder::new(ctx);
                fn epilogue(router: bool, split: usize, o: &[wgpu::Buffer; 2]) -> Epilogue<'_> {
                    if router {
                        Epilogue::SwiGlu { router: Some((split as u32, Bind::all(&o[1]))) }
                    } else {
                        Epilogue::Store
                    }
                }
                let (n32, k32) = (n as u32, k as u32);
                let parts = (Bind::all(&db), Bind::all(&eb));
                stages::gemv_parts(&mut rec, "parts", kernel, (n32, k32), parts, Bind::all(&xo), Bind::all(&bb), Bind::all(&outs[0][0]), epilogue(router, split, &outs[0]));
                stages::gemm(&mut rec, "row", kernel, (1, n32, k32), Bind::all(&ab), Bind::all(&bb), Bind::all(&outs[1][0]), epilogue(router, split, &outs[1]), Columns::ALL);
                submit(ctx, rec);
                let read = |buf: &wgpu::Buffer, len: usize| pollster::block_on(buffers::read_back(ctx, buf, 0, len as u64)).unwrap();
                prop_assert_eq!(read(&xo, row.len()), row.clone(), "stored row, f16 {}", f16);
                prop_assert_eq!(read(&outs[0][0], c_len), read(&outs[1][0], c_len), "C, {:?}", kernel);
                if router {
                    let z_len = (n - split) * 4;
                    prop_assert_eq!(read(&outs[0][1], z_len), read(&outs[1][1], z_len), "router columns, {:?}", kernel);
                }
            }
        }
    }
}

/// A wide layer's gate/up GEMV from 5 to 8 rows (from 5 where four columns a group leave 512 workgroups,
/// as here) streams four columns a group (QUAD, chunks of eight halves): every epilogue against the CPU
/// at 8 rows, one at 6 (16 lanes a column, K leaving the rounds of two chunks a tail of one), the last
/// workgroup's columns past N; and the same bits as fewer columns a group: the first row of 5 and 8 rows
/// those of one row, the first eight of 13 (ROWS16) those of 8. At 4 rows two columns a group; with f32
/// storage (no fma chain) two at 8 too. The widest layer of `gpu_layer` (I = 16384: 8 × 32896 × 1024)
/// streams four at 8 tokens, or two on a device whose workgroup memory cannot hold QUAD's lane sums.
#[test]
fn gemv_quads_match_cpu_and_keep_the_bits() {
    let ctx = gpu();
    let widest = GemmKernel::Gemv {
        f16: true,
        slabs: false,
    };
    if f16_modes(ctx).contains(&true) {
        assert_eq!(group_columns(ctx, widest, (8, 32896, 1024)), 4);
        // Where the device allows less workgroup memory than QUAD's lane sums take, two columns.
        let mut small = ctx.caps.clone();
        small.workgroup_bytes = stages::GEMV_QUAD_WORKGROUP_BYTES - 16;
        let (_, variant, _) = stages::gemm_dispatch(
            &small,
            widest,
            (8, 32896, 1024),
            stages::EpilogueKind::Store,
        );
        assert!(variant.flags.contains("PAIR") && !variant.flags.contains("QUAD"));
    }
    let half_n = 16400;
    // 45 and 129 chunks of eight: 16 lanes a column.
    for k in [360usize, 1032] {
        for kernel in gemv_kernels(ctx, k) {
            let columns = |m: usize, n: usize| group_columns(ctx, kernel, (m, n, k));
            if !kernel.is_f16() {
                assert_eq!(columns(8, 2 * half_n), 2, "{kernel:?}, K {k}");
                continue;
            }
            for epilogue in 0u8..5 {
                let seed = k as u64 + epilogue as u64;
                let (split, n) = gemm_columns(half_n, epilogue, seed);
                assert_eq!(
                    [4, 5, 6, 7, 8].map(|m| columns(m, n)),
                    [2, 4, 4, 4, 4],
                    "{kernel:?}, N {n}, K {k}"
                );
                // 8 rows at every epilogue, 6 (rows 6 and 7 of the group's sums unused) at one.
                let rows: &[usize] = if epilogue == 2 { &[6, 8] } else { &[8] };
                for &m in rows {
                    check_gemm(ctx, kernel, (m, n, k), split, epilogue, seed).unwrap_or_else(|e| {
                        panic!("{kernel:?}, {m}×{n}×{k}, epilogue {epilogue}: {e}")
                    });
                }
            }
            rows_keep_the_bits(ctx, kernel, (2 * half_n - 1, k), 63, &[5, 8]);
        }
    }
}

/// A narrow GEMV of 2 to 8 rows with K % 8 == 0 runs in two K ranges (`stages::split_k`: the layer's down
/// projection), each range's workgroups on the lanes of a GEMV as deep as it, the partial products added
/// in range order by the reduction pass: against the CPU at every epilogue, ranges of 2112 and 1992 (K =
/// 4104) and of 512 and 488 (K = 1000), a ragged last workgroup of columns. One row, 9 rows, K % 8 != 0
/// and a wide GEMV stay whole. A deep one in chunks of eight halves (1024 or more: K = 8200) runs in four
/// ranges of 2112 and a last of 1864, two columns a group on 64 lanes (4 rows) or four (8 rows, in rounds
/// of two chunks a column), at 5 rows in two of one column, and K = 16392 (2049 chunks) at 5 rows in four
/// of four columns; with f32 storage in two of one column. (Which split is not asserted where
/// `OMNIMOE_GEMV_SPLIT`, `OMNIMOE_GEMV_NARROW` or `OMNIMOE_GEMV_FMA`, measuring aids, change it.)
#[test]
fn narrow_gemvs_split_over_k_match_cpu() {
    let ctx = gpu();
    let aid = aids_set(&[
        "OMNIMOE_GEMV_SPLIT",
        "OMNIMOE_GEMV_NARROW",
        "OMNIMOE_GEMV_FMA",
    ]);
    for kernel in gemv_kernels(ctx, 4104) {
        let splits = |m: u32, n: u32, k: u32| stages::split_k(kernel, (m, n, k));
        let (whole, wide) = ((1, 1030, 4104), (4, 100_000, 1024));
        for (m, n, k) in [whole, (9, 1030, 4104), (4, 1030, 4100), wide] {
            assert!(aid || splits(m, n, k) == 1, "{kernel:?}, {m}×{n}×{k}");
        }
        for (m, k) in [(2usize, 4104usize), (5, 1000), (8, 4104)] {
            for epilogue in 0u8..5 {
                let seed = (m * 10 + epilogue as usize) as u64;
                let (split, n) = gemm_columns(515, epilogue, seed);
                let ranges = splits(m as u32, n as u32, k as u32);
                assert!(aid || ranges == 2, "{kernel:?}, {m}×{n}×{k}");
                check_gemm_split(ctx, kernel, 2, (m, n, k), split, epilogue, seed).unwrap_or_else(
                    |e| panic!("{kernel:?}, {m}×{n}×{k}, epilogue {epilogue}: {e}"),
                );
            }
        }
    }
    for kernel in gemv_kernels(ctx, 8200) {
        let f16 = kernel.is_f16();
        let cases = [
            (4usize, 8200, 0u8),
            (5, 8200, 2),
            (5, 16392, 3),
            (8, 8200, 1),
            (8, 8200, 4),
        ];
        for (m, k, epilogue) in cases {
            let seed = (m * 10 + epilogue as usize) as u64;
            let (split, n) = gemm_columns(515, epilogue, seed);
            let shape = (m as u32, n as u32, k as u32);
            let ranges = stages::split_k(kernel, shape);
            let group = stages::gemv_range_group(shape, f16);
            let want = match (m, k) {
                (4, _) if f16 => (4, Some((2, 64))),
                (5, 16392) | (8, _) if f16 => (4, Some((4, 64))),
                _ => (2, None),
            };
            assert!(aid || (ranges, group) == want, "{kernel:?}, {m}×{n}×{k}");
            check_gemm_split(ctx, kernel, ranges, (m, n, k), split, epilogue, seed)
                .unwrap_or_else(|e| panic!("{kernel:?}, {m}×{n}×{k}, epilogue {epilogue}: {e}"));
        }
    }
}

/// A wide GEMV only 1024 deep (the gate/up GEMV of H = 1024 at I = 12288, 24704 columns): from 2 rows it
/// runs 32 lanes a column where 16 would fill its last round of workgroups only in part (`gemv_lanes`),
/// four columns a group from 5 rows; 1 row keeps 16. Against the CPU at 2, 5 and 8 rows, SwiGLU and
/// plain epilogues. (Where `OMNIMOE_GEMV_LANES` or `OMNIMOE_GEMV_ROUNDS` fix the lanes, the lanes are
/// not asserted.)
#[test]
fn gemv_lanes_by_rounds_match_cpu() {
    let ctx = gpu();
    if !f16_modes(ctx).contains(&true) {
        return;
    }
    let kernel = GemmKernel::Gemv {
        f16: true,
        slabs: false,
    };
    let k = 1024;
    let lanes = |m: u32, n: u32| {
        let (_, variant, _) =
            stages::gemm_dispatch(&ctx.caps, kernel, (m, n, k), stages::EpilogueKind::Store);
        variant.constant_value("LANES")
    };
    if !aids_set(&["OMNIMOE_GEMV_LANES", "OMNIMOE_GEMV_ROUNDS"]) {
        assert_eq!(lanes(1, 24704), Some(16));
        assert_eq!(lanes(2, 24704), Some(32));
        assert_eq!(lanes(8, 24704), Some(32));
        // I = 16384's 32896 columns: 16 lanes fill their rounds.
        assert_eq!(lanes(8, 32896), Some(16));
    }
    for (m, epilogue) in [(2usize, 2u8), (5, 0), (8, 2)] {
        let seed = 7 + m as u64;
        let (split, n) = gemm_columns(12352, epilogue, seed);
        check_gemm(ctx, kernel, (m, n, k as usize), split, epilogue, seed)
            .unwrap_or_else(|e| panic!("{m}×{n}×{k}, epilogue {epilogue}: {e}"));
    }
}
