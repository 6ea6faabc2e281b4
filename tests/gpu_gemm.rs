//! Every GEMM kernel against the CPU on random shapes (proptest): SIMT, tensor-core configurations, the
//! skinny kernel, the GEMV and NVIDIA's cooperative-matrix-2 kernel, every epilogue, split over K; whole and
//! edge tiles; split-K's bits run to run.

mod common;

use common::gpu;
use common::stage_io::*;
use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, elem_bytes, Bind};
use omnimoe::gpu::stages::{
    self, Columns, CoopConfig, CoopTile, Epilogue, EpilogueKind, GemmKernel, Recorder,
};
use omnimoe::gpu::Context;
use proptest::prelude::*;

/// Tolerance of router column i of a GEMM with `split` SwiGLU columns and `w` router columns.
fn tol_z(mag: &[f32], n: usize, split: usize, w: usize, i: usize) -> f32 {
    1e-5 * mag[(i / w) * n + split + i % w] + 1e-6
}

/// The epilogue a test's number stands for: 0 plain, 1 ADD, 2 SwiGLU, 3 SwiGLU with router columns, 4 ADD
/// into the storage type.
fn epilogue_kind(epilogue: u8) -> EpilogueKind {
    [
        EpilogueKind::Store,
        EpilogueKind::Add,
        EpilogueKind::SwiGlu,
        EpilogueKind::SwiGluRouter,
        EpilogueKind::AddElem,
    ][epilogue as usize]
}

/// Every GEMM kernel the adapter runs: SIMT in each storage type, and each tensor-core configuration its
/// compiler takes for this shape and epilogue; where K % 8 == 0 the SIMT kernels and the GEMV reading B
/// in K slabs too.
fn gemm_kernels(ctx: &Context, (m, n, k): (usize, usize, usize), epilogue: u8) -> Vec<GemmKernel> {
    let mut kernels: Vec<GemmKernel> = f16_modes(ctx)
        .into_iter()
        .flat_map(|f16| {
            GemmKernel::Simt {
                f16,
                k_step: 8,
                double_buffer: false,
                slabs: false,
                stream_k: None,
            }
            .candidates(&ctx.caps, ctx.limits.max_compute_workgroup_storage_size)
        })
        .collect();
    if m <= stages::GEMV_MAX_M as usize {
        kernels.extend(
            f16_modes(ctx)
                .into_iter()
                .map(|f16| GemmKernel::Gemv { f16, slabs: false }),
        );
    }
    if k.is_multiple_of(stages::SLAB_K) {
        let slabs: Vec<GemmKernel> = kernels
            .iter()
            .map(|kernel| kernel.with_slabs(true))
            .collect();
        kernels.extend(slabs);
    }
    // The skinny tensor-core kernel where it applies (the SIMT f16 kernel without cooperative matrices).
    // Its STAGED build too where the adapter has subgroup barriers for workgroup memory, within ~35 KiB
    // and (alone) ~44 KiB of workgroup memory.
    if f16_modes(ctx).contains(&true) && stages::skinny_takes((m as u32, n as u32, k as u32)) {
        kernels.push(GemmKernel::Skinny {
            staged: false,
            alone: false,
        });
        if ctx.caps.subgroup_barrier {
            for alone in [false, true] {
                kernels.push(GemmKernel::Skinny {
                    staged: true,
                    alone,
                });
            }
        }
    }
    if ctx.caps.cooperative_matrix {
        let kind = epilogue_kind(epilogue);
        let coop = GemmKernel::Coop(CoopConfig::DEFAULT)
            .candidates(&ctx.caps, ctx.limits.max_compute_workgroup_storage_size);
        kernels.extend(coop.into_iter().filter(|&c| {
            let (stage, variant, _) =
                stages::gemm_dispatch(&ctx.caps, c, (m as u32, n as u32, k as u32), kind);
            pollster::block_on(ctx.compiles(stage, "main", &variant))
        }));
    }
    kernels
}

/// B (rows of `k`) as `kernel` reads it: in K slabs or rows, in its storage type.
fn upload_b(ctx: &Context, kernel: GemmKernel, b: &[f32], k: usize) -> wgpu::Buffer {
    let f16 = kernel.is_f16();
    if kernel.slabs() {
        buffers::upload(ctx, "b", &elem_bytes(&stages::to_slabs(b, k), f16))
    } else {
        buffers::upload(ctx, "b", &elem_bytes(b, f16))
    }
}

/// (split, n) of a test GEMM: SwiGLU pairs up to `split` = 2·half_n; epilogue 3 adds router columns from
/// `split` on, plain and ADD ones may take an odd n.
fn gemm_columns(half_n: usize, epilogue: u8, seed: u64) -> (usize, usize) {
    let split = 2 * half_n;
    let n = match epilogue {
        2 => split,
        3 => split + 1 + (seed % 40) as usize,
        _ => split - (seed % 2 == 1) as usize,
    };
    (split, n)
}

/// One GEMM through `kernel` against the CPU: epilogue 0 plain, 1 ADD, 2 SwiGLU, 3 SwiGLU with router
/// columns from `split` on, 4 ADD into the storage type; `n` columns in all.
fn check_gemm(
    ctx: &Context,
    kernel: GemmKernel,
    (m, n, k): (usize, usize, usize),
    split: usize,
    epilogue: u8,
    seed: u64,
) -> Result<(), TestCaseError> {
    check_gemm_split(ctx, kernel, 1, (m, n, k), split, epilogue, seed)
}

/// [`check_gemm`] with K split over `splits` ranges (split-K and its reduction pass) when above 1.
fn check_gemm_split(
    ctx: &Context,
    kernel: GemmKernel,
    splits: u32,
    (m, n, k): (usize, usize, usize),
    split: usize,
    epilogue: u8,
    seed: u64,
) -> Result<(), TestCaseError> {
    let f16 = kernel.is_f16();
    let mut a = uniform(seed, m * k, -1.0, 1.0);
    let mut b = uniform(seed ^ 1, n * k, -1.0, 1.0);
    if f16 {
        (a, b) = (to_f16(&a), to_f16(&b));
    }
    let d = uniform(seed ^ 2, m * n, -1.0, 1.0);
    let mut want = vec![0.0; m * n];
    cpu::gemm_nt(&a, &b, m, n, k, &mut want);
    let mag: Vec<f32> = (0..m * n)
        .map(|i| {
            (0..k)
                .map(|j| (a[i / n * k + j] * b[i % n * k + j]).abs())
                .sum()
        })
        .collect();
    let ab = buffers::upload(ctx, "a", &elem_bytes(&a, f16));
    let db = f32_buf(ctx, &d);
    let swiglu = epilogue == 2 || epilogue == 3;
    let out_elems = if swiglu { m * split / 2 } else { m * n };
    let out_f16 = f16 && (swiglu || epilogue == 4);
    let cb = buffers::storage(ctx, "c", (out_elems * if out_f16 { 2 } else { 4 }) as u64);
    let zb = buffers::storage(ctx, "z", (m * (n - split.min(n))).max(1) as u64 * 4);
    let mut rec = Recorder::new(ctx);
    let ep = || match epilogue {
        0 => Epilogue::Store,
        1 => Epilogue::Add(Bind::all(&db)),
        2 => Epilogue::SwiGlu { router: None },
        3 => Epilogue::SwiGlu {
            router: Some((split as u32, Bind::all(&zb))),
        },
        _ => Epilogue::AddElem(Bind::all(&db)),
    };
    // B's rows in 1 to 3 blocks by the seed's high bits (an even number of rows each, as a layer splits a
    // weight larger than a binding), one GEMM per block into its columns of C.
    let blocks = 1 + (seed >> 40) as usize % 3;
    let per = n.div_ceil(blocks).next_multiple_of(2);
    let parts: Vec<(usize, usize, wgpu::Buffer)> = (0..n)
        .step_by(per)
        .map(|first| {
            let rows = per.min(n - first);
            let block = &b[first * k..(first + rows) * k];
            (first, rows, upload_b(ctx, kernel, block, k))
        })
        .collect();
    let whole = parts.len() == 1;
    let partial = buffers::storage(
        ctx,
        "partial",
        stages::split_k_partial_len(kernel, (m as u32, per.min(n) as u32, k as u32), splits) * 4,
    );
    for (first, rows, bb) in &parts {
        let shape = (m as u32, *rows as u32, k as u32);
        let cols = if whole {
            Columns::ALL
        } else {
            Columns {
                first: *first as u32,
                width: n as u32,
            }
        };
        let (a_b, b_b, c_b) = (Bind::all(&ab), Bind::all(bb), Bind::all(&cb));
        if stages::runs_split(kernel, splits) {
            let pb = Bind::all(&partial);
            stages::gemm_split_k(
                &mut rec,
                "gemm",
                kernel,
                splits,
                shape,
                a_b,
                b_b,
                c_b,
                ep(),
                pb,
                cols,
            );
        } else {
            stages::gemm(&mut rec, "gemm", kernel, shape, a_b, b_b, c_b, ep(), cols);
        }
    }
    submit(ctx, rec);
    let got: Vec<f32> = if out_f16 {
        let bytes =
            pollster::block_on(buffers::read_back(ctx, &cb, 0, out_elems as u64 * 2)).unwrap();
        bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect()
    } else {
        read_f32(ctx, &cb, out_elems)
    };
    let tol = |i: usize| 1e-5 * mag[i] + 1e-6;
    match epilogue {
        0 => check("gemm", &got, &want, tol)?,
        1 | 4 => {
            let want: Vec<f32> = want.iter().zip(&d).map(|(c, d)| c + d).collect();
            // Into f16 storage: one more rounding, half an f16 ulp.
            let rel = if out_f16 { 5e-4 } else { 1e-6 };
            check("gemm+add", &got, &want, |i| {
                tol(i) + rel * want[i].abs() + 1e-6
            })?
        }
        _ => {
            // Columns < split: SwiGLU of the interleaved pairs; the rest: raw router logits.
            let col = |i: usize| (i / (split / 2), 2 * (i % (split / 2)));
            let (gate, up): (Vec<f32>, Vec<f32>) = (0..m * split / 2)
                .map(|i| {
                    let (r, c) = col(i);
                    (want[r * n + c], want[r * n + c + 1])
                })
                .unzip();
            let mut act = vec![0.0; m * split / 2];
            cpu::swiglu(&gate, &up, &mut act);
            let rel = if out_f16 { 1e-3 } else { 1e-5 };
            let tol = |i: usize| {
                let (r, c) = col(i);
                let (g, u) = (mag[r * n + c], mag[r * n + c + 1]);
                2e-5 * (g * up[i].abs() + (gate[i].abs() + 1.0) * u) + rel * act[i].abs() + 1e-6
            };
            check("gemm+swiglu", &got, &act, tol)?;
            if epilogue == 3 {
                let w = n - split;
                let z_want: Vec<f32> = (0..m * w)
                    .map(|i| want[(i / w) * n + split + i % w])
                    .collect();
                let z_got = read_f32(ctx, &zb, m * w);
                check("gemm router columns", &z_got, &z_want, |i| {
                    tol_z(&mag, n, split, w, i)
                })?;
            }
        }
    }
    Ok(())
}

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
            if !matches!(kernel, GemmKernel::Gemv { .. }) {
                check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, seed)?;
            }
        }
    }

    /// The skinny kernel at the shapes it takes (n a multiple of 128, k of 32, up to 64 rows), any number
    /// of K ranges asked (it raises too few), every epilogue, with and without its STAGED builds (where
    /// the adapter has them; ~35 KiB and, alone, ~44 KiB); the SIMT f16 kernel without tensor cores.
    #[test]
    fn skinny_gemm_matches_cpu(m in 1usize..=64, blocks in 1usize..=3, q in 1usize..48, epilogue in 0u8..5, splits in 1u32..20, seed: u64) {
        let ctx = gpu();
        let (n, k) = (128 * blocks, 32 * q);
        let split = if epilogue == 3 { n - 2 * (1 + (seed % 20) as usize) } else { n };
        let kernels = gemm_kernels(ctx, (m, n, k), epilogue);
        let plain = GemmKernel::Skinny { staged: false, alone: false };
        prop_assert!(kernels.contains(&plain));
        for kernel in kernels.into_iter().filter(|k| matches!(k, GemmKernel::Skinny { .. })) {
            check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, seed)?;
        }
    }

    /// K from 2100 (as deep as the layer's down projection) runs the four-chunk loop several times a lane
    /// on 64 lanes a column, the padded partial sums at their widest stride.
    #[test]
    fn gemv_matches_cpu(m in 1usize..=16, half_n in 1usize..200, k in prop_oneof![1usize..600, 2100usize..4200], epilogue in 0u8..5, seed: u64) {
        let ctx = gpu();
        let (split, n) = gemm_columns(half_n, epilogue, seed);
        for f16 in f16_modes(ctx) {
            for slabs in [false, true] {
                if slabs && !k.is_multiple_of(stages::SLAB_K) {
                    continue;
                }
                let kernel = GemmKernel::Gemv { f16, slabs };
                check_gemm(ctx, kernel, (m, n, k), split, epilogue, seed)?;
            }
        }
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

/// The skinny kernel's STAGED builds over ranges of several K steps (64 k a step up to 16 rows where K %
/// 64 == 0, 32 else): the proptest above reaches them in some of its cases only (a build that loaded
/// every odd step from the wrong place passed it once on an H100, run290). Each shape with one range and
/// with several, every epilogue; at 17 and 33 rows also ranges 128 deep (eight and four).
#[test]
fn skinny_staged_steps_match_cpu() {
    let ctx = gpu();
    for (m, n, k, ranges) in [
        (1, 256, 1024, [1, 3]),
        (16, 128, 512, [1, 3]),
        (9, 384, 1088, [1, 3]),
        (24, 256, 992, [1, 3]),
        (17, 128, 1024, [1, 8]),
        (33, 256, 512, [1, 4]),
    ] {
        for splits in ranges {
            for epilogue in 0u8..5 {
                let split = if epilogue == 3 { n - 6 } else { n };
                let staged = gemm_kernels(ctx, (m, n, k), epilogue)
                    .into_iter()
                    .filter(|kernel| matches!(kernel, GemmKernel::Skinny { staged: true, .. }));
                for kernel in staged {
                    check_gemm_split(ctx, kernel, splits, (m, n, k), split, epilogue, 11)
                        .unwrap_or_else(|e| {
                            panic!("{kernel:?}, {m}×{n}×{k}, {splits} ranges: {e}")
                        });
                }
            }
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
    // A ragged shape, and one the skinny kernel takes.
    for (m, n, k) in [(24u32, 300u32, 1000u32), (24, 256, 1024)] {
        let a = uniform(1, (m * k) as usize, -1.0, 1.0);
        let b = uniform(2, (n * k) as usize, -1.0, 1.0);
        let d = uniform(3, (m * n) as usize, -1.0, 1.0);
        for kernel in gemm_kernels(ctx, (m as usize, n as usize, k as usize), 1) {
            // (Slabs change where B is read, not the sums: `slabs_read_the_bits_of_rows`.)
            if matches!(kernel, GemmKernel::Gemv { .. }) || kernel.slabs() {
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

/// The bytes of C (`c_len` of them) after one GEMM of `a` and `b` through `kernel` with `epilogue` into
/// `cols` of C.
#[allow(clippy::too_many_arguments)]
fn gemm_bytes(
    ctx: &Context,
    kernel: GemmKernel,
    (m, n, k): (usize, usize, usize),
    (a, b): (&wgpu::Buffer, &wgpu::Buffer),
    epilogue: Epilogue<'_>,
    cols: Columns,
    c_len: usize,
) -> Vec<u8> {
    let cb = buffers::storage(ctx, "c", c_len as u64);
    let mut rec = Recorder::new(ctx);
    let shape = (m as u32, n as u32, k as u32);
    let (a, b, c) = (Bind::all(a), Bind::all(b), Bind::all(&cb));
    stages::gemm(&mut rec, "gemm", kernel, shape, a, b, c, epilogue, cols);
    submit(ctx, rec);
    pollster::block_on(buffers::read_back(ctx, &cb, 0, c_len as u64)).unwrap()
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
        let simt = GemmKernel::Simt {
            f16,
            k_step: 8,
            double_buffer: false,
            slabs: false,
            stream_k: None,
        };
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
            let simt = GemmKernel::Simt {
                f16,
                k_step: 8,
                double_buffer: false,
                slabs: k.is_multiple_of(stages::SLAB_K),
                stream_k: None,
            };
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

/// The GEMV's 16-row build (ROWS16, 9 to 16 rows) sums rows 0..8 as the 8-row build does: the first eight
/// rows of a 13-row product have the bits of the 8-row product, in each storage type, rows or K slabs.
#[test]
fn gemv_rows16_keeps_the_bits_of_eight_rows() {
    let ctx = gpu();
    let (n, k) = (70usize, 1032usize);
    let a = uniform(51, 13 * k, -1.0, 1.0);
    let b = uniform(52, n * k, -1.0, 1.0);
    for f16 in f16_modes(ctx) {
        for slabs in [false, true] {
            let kernel = GemmKernel::Gemv { f16, slabs };
            let ab = buffers::upload(ctx, "a", &elem_bytes(&a, f16));
            let bb = upload_b(ctx, kernel, &b, k);
            let (ep, cols) = (Epilogue::Store, Columns::ALL);
            let c = |m: usize| gemm_bytes(ctx, kernel, (m, n, k), (&ab, &bb), ep, cols, m * n * 4);
            let (eight, thirteen) = (c(8), c(13));
            assert!(eight[..] == thirteen[..8 * n * 4], "{kernel:?}");
        }
    }
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
