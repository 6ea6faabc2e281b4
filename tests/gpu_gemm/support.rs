//! What the GEMM tests share: the kernels a shape runs on, uploads, a GEMM against the CPU (whole or split
//! over K), and a GEMM's raw output.

use super::common::stage_io::*;
use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, elem_bytes, Bind};
use omnimoe::gpu::stages::{
    self, Columns, CoopConfig, Epilogue, EpilogueKind, GemmKernel, Recorder,
};
use omnimoe::gpu::Context;
use proptest::prelude::*;

/// Whether any of the measuring aids `names` is set (a test then skips what they change).
pub fn aids_set(names: &[&str]) -> bool {
    names.iter().any(|name| std::env::var_os(name).is_some())
}

/// Tolerance of router column i of a GEMM with `split` SwiGLU columns and `w` router columns.
pub fn tol_z(mag: &[f32], n: usize, split: usize, w: usize, i: usize) -> f32 {
    1e-5 * mag[(i / w) * n + split + i % w] + 1e-6
}

/// The epilogue a test's number stands for: 0 plain, 1 ADD, 2 SwiGLU, 3 SwiGLU with router columns, 4 ADD
/// into the storage type.
pub fn epilogue_kind(epilogue: u8) -> EpilogueKind {
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
pub fn gemm_kernels(
    ctx: &Context,
    (m, n, k): (usize, usize, usize),
    epilogue: u8,
) -> Vec<GemmKernel> {
    let mut kernels: Vec<GemmKernel> = f16_modes(ctx)
        .into_iter()
        .flat_map(|f16| {
            GemmKernel::simt(f16)
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
pub fn upload_b(ctx: &Context, kernel: GemmKernel, b: &[f32], k: usize) -> wgpu::Buffer {
    let f16 = kernel.is_f16();
    if kernel.slabs() {
        buffers::upload(ctx, "b", &elem_bytes(&stages::to_slabs(b, k), f16))
    } else {
        buffers::upload(ctx, "b", &elem_bytes(b, f16))
    }
}

/// (split, n) of a test GEMM: SwiGLU pairs up to `split` = 2·half_n; epilogue 3 adds router columns from
/// `split` on, plain and ADD ones may take an odd n.
pub fn gemm_columns(half_n: usize, epilogue: u8, seed: u64) -> (usize, usize) {
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
pub fn check_gemm(
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
pub fn check_gemm_split(
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

/// The bytes of C (`c_len` of them) after one GEMM of `a` and `b` through `kernel` with `epilogue` into
/// `cols` of C.
#[allow(clippy::too_many_arguments)]
pub fn gemm_bytes(
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
