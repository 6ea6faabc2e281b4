//! Every GEMM kernel against the CPU on random shapes (proptest): SIMT, tensor-core configurations and
//! NVIDIA's cooperative-matrix-2 kernel here, the GEMV (`gemv.rs`) and the skinny kernel (`skinny.rs`),
//! every epilogue, split over K; whole and edge tiles; split-K's and stream-K's bits run to run. What they
//! share: `support.rs`.

mod ahead;
#[path = "../common/mod.rs"]
mod common;
mod gemv;
mod skinny;
mod support;

use common::gpu;
use common::stage_io::*;
use omnimoe::gpu::buffers::{self, elem_bytes, Bind};
use omnimoe::gpu::stages::{
    self, Columns, CoopConfig, CoopTile, Epilogue, EpilogueKind, GemmKernel, Recorder,
};
use omnimoe::gpu::Context;
use proptest::prelude::*;
use support::*;

/// The cooperative-matrix-2 GEMM (`shaders/spirv/gemm_cm2.comp`) where the device has the extension, at
/// shapes of whole tiles (its unchecked loads), of edge tiles, and with K not a multiple of its K step;
/// every epilogue it takes. Elsewhere, and for the epilogues it does not take, its configurations run
/// the WGSL kernels: the same checks then cover that fallback.
#[test]
fn nv_coopmat2_gemm_matches_cpu() {
    let ctx = gpu();
    let shapes = [
        (256, 256, 128),
        (256, 512, 256),
        (300, 200, 136),
        (128, 256, 72),
        (5, 130, 40),
    ];
    let tile = CoopTile::NvSquare;
    let kernel = GemmKernel::Coop(CoopConfig {
        tile,
        k_step: 32,
        double_buffer: false,
        direct: true,
        smem_vec: 1,
    });
    for (m, n, k) in shapes {
        for epilogue in 0u8..5 {
            let kind = epilogue_kind(epilogue);
            let shape = (m as u32, n as u32, k as u32);
            let (stage, _, _) = stages::gemm_dispatch(&ctx.caps, kernel, shape, kind);
            let takes = matches!(
                kind,
                EpilogueKind::Store | EpilogueKind::Add | EpilogueKind::AddElem
            );
            assert_eq!(
                stage == "gemm_cm2",
                ctx.caps.nv_coopmat2 && takes,
                "{stage}"
            );
            let split = if epilogue == 3 { n - 64 } else { n };
            let seed = (m * 7 + n * 3 + k + epilogue as usize) as u64;
            check_gemm(ctx, kernel, (m, n, k), split, epilogue, seed)
                .unwrap_or_else(|e| panic!("{tile:?} {m}x{n}x{k} epilogue {epilogue}: {e}"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn gemm_matches_cpu(m in 1usize..300, half_n in 1usize..140, k in 1usize..90, epilogue in 0u8..5, seed: u64) {
        let ctx = gpu();
        let (split, n) = gemm_columns(half_n, epilogue, seed);
        for kernel in gemm_kernels(ctx, (m, n, k), epilogue) {
            check_gemm(ctx, kernel, (m, n, k), split, epilogue, seed)?;
        }
    }

    #[test]
    fn gemm_split_k_matches_cpu(m in 1usize..80, half_n in 1usize..140, k in 1usize..700, epilogue in 0u8..5, splits in 2u32..12, seed: u64) {
        let ctx = gpu();
        let (split, n) = gemm_columns(half_n, epilogue, seed);
        for kernel in gemm_kernels(ctx, (m, n, k), epilogue) {
            check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, seed)?;
        }
    }
}

/// Shapes with whole tiles of every tensor-core configuration (256 × 256 and more) and a ragged edge, for
/// every kernel and epilogue: the proptest's small shapes rarely fill a 256-row or 256-column tile. The
/// second is a grid of more column tiles than row tiles; the third a few dozen rows with K deep and ragged
/// (eight K steps of 128, the last short).
#[test]
fn gemm_whole_and_edge_tiles_match_cpu() {
    let ctx = gpu();
    for epilogue in 0u8..5 {
        // The router's columns (epilogue 3) after the split.
        let columns = |split: usize| if epilogue == 3 { split + 40 } else { split };
        for (m, split, k) in [(520, 528, 72), (260, 1064, 40), (70, 200, 1000)] {
            let n = columns(split);
            for kernel in gemm_kernels(ctx, (m, n, k), epilogue) {
                check_gemm(ctx, kernel, (m, n, k), split, epilogue, 7 + epilogue as u64)
                    .unwrap_or_else(|e| panic!("{kernel:?}, {m}×{n}, epilogue {epilogue}: {e}"));
            }
        }
        // Split-K at decode-like sizes: few rows, deep K; N % 32 != 0, and N % 32 == 0, where the SIMT
        // kernel stores its partial products with permuted columns (`stages::partials_permute`).
        let (m, k) = (24, 1000);
        for split in [528, if epilogue == 3 { 536 } else { 512 }] {
            let n = columns(split);
            for kernel in gemm_kernels(ctx, (m, n, k), epilogue) {
                let splits = stages::split_k(kernel, (m as u32, n as u32, k as u32)).max(3);
                check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, 9)
                    .unwrap_or_else(|e| {
                        panic!("{kernel:?}, {splits} splits, {n} columns, epilogue {epilogue}: {e}")
                    });
            }
        }
    }
}

/// The 32 × 256 strips (two K steps' loads in flight; an autotune candidate, which layers ran for a wide
/// gate/up GEMM in the forty-fourth session) at the gate/up GEMM's width of I = 12288 with 128 router
/// columns (97 strips, the last ragged) at 17 and 32 rows, K 1024 (16 steps of 64), 1000 (the last
/// short) and 960 (15: the last after the loop), plain and with the SwiGLU and router epilogue. Where
/// the adapter has no cooperative matrices the strips are no candidate, and the f16 SIMT kernel a layer
/// runs there takes the same shapes.
#[test]
fn strips_match_cpu_at_a_wide_gemm() {
    let ctx = gpu();
    let (split, n) = (24576, 24704);
    for (m, k) in [(32, 1024), (17, 1000), (32, 960)] {
        for epilogue in [0u8, 3] {
            let strips: Vec<GemmKernel> = gemm_kernels(ctx, (m, n, k), epilogue)
                .into_iter()
                .filter(|kernel| matches!(kernel, GemmKernel::Coop(c) if c.tile == CoopTile::Strip))
                .collect();
            assert_eq!(strips.len(), ctx.caps.cooperative_matrix as usize);
            let kernels = if strips.is_empty() {
                vec![GemmKernel::simt(true)]
            } else {
                strips
            };
            for kernel in kernels {
                check_gemm(ctx, kernel, (m, n, k), split, epilogue, 11 + m as u64).unwrap_or_else(
                    |e| panic!("{kernel:?}, {m}×{n}×{k}, epilogue {epilogue}: {e}"),
                );
            }
        }
    }
}

/// C (`m` × `n` f32) of one GEMM through `kernel` split over K into `splits` ranges (A and B uploaded),
/// with its reduction pass.
fn split_k_output(
    ctx: &Context,
    kernel: GemmKernel,
    splits: u32,
    (m, n, k): (u32, u32, u32),
    (a, b): (&wgpu::Buffer, &wgpu::Buffer),
    epilogue: Epilogue<'_>,
) -> Vec<f32> {
    let shape = (m, n, k);
    let len = stages::split_k_partial_len(kernel, shape, splits) * 4;
    let partial = buffers::storage(ctx, "partial", len);
    let cb = buffers::storage(ctx, "c", (m * n * 4) as u64);
    let mut rec = Recorder::new(ctx);
    let (a, b, c, p) = (
        Bind::all(a),
        Bind::all(b),
        Bind::all(&cb),
        Bind::all(&partial),
    );
    let cols = Columns::ALL;
    stages::gemm_split_k(
        &mut rec, "gemm", kernel, splits, shape, a, b, c, epilogue, p, cols,
    );
    submit(ctx, rec);
    read_f32(ctx, &cb, (m * n) as usize)
}

/// Split-K sums its ranges in a fixed order: two runs give the same bits, for every kernel.
#[test]
fn split_k_is_bitwise_reproducible() {
    let ctx = gpu();
    // A ragged shape, one the skinny kernel takes, and one the GEMV takes.
    for (m, n, k) in [(24u32, 300u32, 1000u32), (24, 256, 1024), (6, 300, 1000)] {
        let a = uniform(1, (m * k) as usize, -1.0, 1.0);
        let b = uniform(2, (n * k) as usize, -1.0, 1.0);
        let d = uniform(3, (m * n) as usize, -1.0, 1.0);
        for kernel in gemm_kernels(ctx, (m as usize, n as usize, k as usize), 1) {
            // (Slabs change where B is read, not the sums: `slabs_read_the_bits_of_rows`.)
            if kernel.slabs() {
                continue;
            }
            let f16 = kernel.is_f16();
            let (ab, bb) = (
                buffers::upload(ctx, "a", &elem_bytes(&a, f16)),
                buffers::upload(ctx, "b", &elem_bytes(&b, f16)),
            );
            let db = f32_buf(ctx, &d);
            let ep = || Epilogue::Add(Bind::all(&db));
            let runs: Vec<Vec<f32>> = (0..2)
                .map(|_| split_k_output(ctx, kernel, 7, (m, n, k), (&ab, &bb), ep()))
                .collect();
            assert_eq!(runs[0], runs[1], "{kernel:?}");
        }
    }
}

/// The SIMT kernel's SwiGLU stores by quads of columns (QUADS: N a multiple of 4) write the bits its
/// scalar stores write: the same GEMM into all of C, and into the first N columns of a C two columns
/// wider (a row width that is no multiple of 4, so scalar stores).
#[test]
fn simt_quads_store_the_bits_of_scalar_stores() {
    let ctx = gpu();
    let (m, n, k) = (130usize, 132usize, 40usize);
    let wide = n + 2;
    let a = uniform(11, m * k, -1.0, 1.0);
    let b = uniform(12, n * k, -1.0, 1.0);
    for kernel in gemm_kernels(ctx, (m, n, k), 2) {
        let GemmKernel::Simt {
            f16, slabs: false, ..
        } = kernel
        else {
            continue;
        };
        let ab = buffers::upload(ctx, "a", &elem_bytes(&a, f16));
        let bb = buffers::upload(ctx, "b", &elem_bytes(&b, f16));
        // Bytes of an output row `width` columns wide: half as many outputs, in the storage type.
        let es = if f16 { 2 } else { 4 };
        let row_bytes = |width: usize| width / 2 * es;
        let run = |width: usize| {
            let cols = if width == n {
                Columns::ALL
            } else {
                Columns {
                    first: 0,
                    width: width as u32,
                }
            };
            let ep = Epilogue::SwiGlu { router: None };
            let c_len = m * row_bytes(width);
            gemm_bytes(ctx, kernel, (m, n, k), (&ab, &bb), ep, cols, c_len)
        };
        let (quads, scalar) = (run(n), run(wide));
        for r in 0..m {
            assert_eq!(
                quads[r * row_bytes(n)..][..row_bytes(n)],
                scalar[r * row_bytes(wide)..][..row_bytes(n)],
                "{kernel:?}, row {r}"
            );
        }
    }
}

/// Every SIMT configuration (K step 8 or 16, single or double buffered, with f16 storage the 8-wide loads
/// or the 4-wide ones) adds the same products in the same order: the same bits, for each storage type.
#[test]
fn simt_configurations_agree_bitwise() {
    let ctx = gpu();
    let (m, n, k) = (130usize, 132usize, 72usize);
    let a = uniform(21, m * k, -1.0, 1.0);
    let b = uniform(22, n * k, -1.0, 1.0);
    for f16 in f16_modes(ctx) {
        let ab = buffers::upload(ctx, "a", &elem_bytes(&a, f16));
        let bb = buffers::upload(ctx, "b", &elem_bytes(&b, f16));
        let simt = GemmKernel::simt(f16);
        let kernels = simt.candidates(&ctx.caps, ctx.limits.max_compute_workgroup_storage_size);
        // The f32 output's bytes: equal bytes, equal bits.
        let outputs: Vec<(GemmKernel, Vec<u8>)> = kernels
            .into_iter()
            .map(|kernel| {
                let (ep, cols) = (Epilogue::Store, Columns::ALL);
                let c = gemm_bytes(ctx, kernel, (m, n, k), (&ab, &bb), ep, cols, m * n * 4);
                (kernel, c)
            })
            .collect();
        assert!(outputs.len() > 1, "{f16}: one configuration only");
        let (first, want) = &outputs[0];
        for (kernel, got) in &outputs[1..] {
            assert!(got == want, "{kernel:?} differs from {first:?}");
        }
    }
}

/// B read in K slabs gives the bits B read in rows gives, for every SIMT configuration and the GEMV, in
/// each storage type, plain and SwiGLU (by quads) epilogues.
#[test]
fn slabs_read_the_bits_of_rows() {
    let ctx = gpu();
    for (m, n, k) in [(130usize, 132usize, 72usize), (5, 68, 1032), (12, 68, 1032)] {
        let a = uniform(31, m * k, -1.0, 1.0);
        let b = uniform(32, n * k, -1.0, 1.0);
        let rows_kernels = gemm_kernels(ctx, (m, n, k), 2)
            .into_iter()
            .filter(|kernel| !kernel.slabs() && kernel.with_slabs(true).slabs());
        let mut compared = 0;
        for kernel in rows_kernels {
            let ab = buffers::upload(ctx, "a", &elem_bytes(&a, kernel.is_f16()));
            let es = if kernel.is_f16() { 2 } else { 4 };
            for swiglu in [false, true] {
                let (ep, c_len) = if swiglu {
                    (Epilogue::SwiGlu { router: None }, m * n / 2 * es)
                } else {
                    (Epilogue::Store, m * n * 4)
                };
                let out = |kernel: GemmKernel| {
                    let bb = upload_b(ctx, kernel, &b, k);
                    gemm_bytes(ctx, kernel, (m, n, k), (&ab, &bb), ep, Columns::ALL, c_len)
                };
                let slabs = kernel.with_slabs(true);
                assert!(
                    out(kernel) == out(slabs),
                    "{slabs:?}, {m}×{n}×{k}, SwiGLU {swiglu}"
                );
                compared += 1;
            }
        }
        assert!(compared >= 2, "{m}×{n}×{k}: nothing compared");
    }
}

/// The stream-K kernels the autotune would time at (m, n, k) in each storage type (B in K slabs where K
/// allows, as a layer reads it).
fn stream_k_kernels(ctx: &Context, (m, n, k): (usize, usize, usize)) -> Vec<GemmKernel> {
    let bytes = ctx.limits.max_compute_workgroup_storage_size;
    f16_modes(ctx)
        .into_iter()
        .flat_map(|f16| {
            let simt = GemmKernel::simt(f16).with_slabs(k.is_multiple_of(stages::SLAB_K));
            simt.stream_k_candidates((m as u32, n as u32, k as u32), bytes)
        })
        .collect()
}

/// Stream-K (each tile's head and tail summed by two workgroups, their partial products added by
/// split-K's reduction) against the CPU with every epilogue, for each group count the autotune tries;
/// the bits of two runs equal. 3 × 2 tiles (groups of 3 on 4 workgroups; K a multiple of 8, B in
/// slabs) and 5 × 4 tiles (groups of 10 or 5; K 1000, a ragged last step).
#[test]
fn stream_k_matches_cpu_and_repeats_its_bits() {
    let ctx = gpu();
    for ((m, split, k), groups) in [((384, 216, 1032), vec![2]), ((520, 472, 1000), vec![2, 4])] {
        for epilogue in 0u8..5 {
            // With router columns, as many column tiles.
            let n = if epilogue == 3 { split + 40 } else { split };
            let kernels = stream_k_kernels(ctx, (m, n, k));
            let tried: Vec<u32> = kernels
                .iter()
                .filter_map(|kernel| kernel.stream_k_at((m as u32, n as u32, k as u32)))
                .map(|s| s.groups)
                .collect();
            let modes = f16_modes(ctx).len();
            assert_eq!(tried, groups.repeat(modes), "{m}×{n}×{k}");
            for kernel in kernels {
                let shape = (m as u32, n as u32, k as u32);
                assert_eq!(stages::split_k(kernel, shape), 2, "{kernel:?}");
                check_gemm_split(ctx, kernel, 2, (m, n, k), split, epilogue, 5).unwrap_or_else(
                    |e| panic!("{kernel:?}, {m}×{n}×{k}, epilogue {epilogue}: {e}"),
                );
            }
        }
        let n = split;
        let a = uniform(41, m * k, -1.0, 1.0);
        let b = uniform(42, n * k, -1.0, 1.0);
        for kernel in stream_k_kernels(ctx, (m, n, k)) {
            let ab = buffers::upload(ctx, "a", &elem_bytes(&a, kernel.is_f16()));
            let bb = upload_b(ctx, kernel, &b, k);
            let shape = (m as u32, n as u32, k as u32);
            let run = || split_k_output(ctx, kernel, 2, shape, (&ab, &bb), Epilogue::Store);
            let first = run();
            assert!(first.iter().all(|x| x.is_finite()));
            assert!(first == run(), "{kernel:?}: two runs differ");
        }
    }
}
