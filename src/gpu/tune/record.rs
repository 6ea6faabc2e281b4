//! The autotune's timed GEMMs: one GEMM recorded as a layer would run it, split over K where the layer
//! splits it (also what [`crate::gpu::weight_stream`] times).

use super::super::buffers::{elem_size, Bind};
use super::super::context::Context;
use super::super::stages::{self, Epilogue, GemmKernel, Recorder};
use super::TuneEpilogue;

/// The K ranges a layer splits `candidate` into at (m, n, k), and the bytes of their partial products (0
/// unsplit): [`stages::split_within`], unsplit where the partial products would exceed a binding.
pub(super) fn split_plan(
    ctx: &Context,
    candidate: GemmKernel,
    shape: (u32, u32, u32),
) -> (u32, u64) {
    stages::split_within(candidate, shape, ctx.binding_bytes()).unwrap_or((1, 0))
}

/// The buffers of a timed GEMM: A, B, C, D (added with ADD) and the split-K partial products.
pub(crate) type GemmBuffers<'a> = (
    &'a wgpu::Buffer,
    &'a wgpu::Buffer,
    &'a wgpu::Buffer,
    &'a wgpu::Buffer,
    &'a wgpu::Buffer,
);

/// One timed GEMM of the autotune: `c = a · bᵀ` with the shape's epilogue (`d` added for ADD), split over
/// K as a layer would split it.
pub(super) fn record_one<'a>(
    rec: &mut Recorder<'a>,
    candidate: GemmKernel,
    label: &'static str,
    shape: (u32, u32, u32),
    bufs: GemmBuffers<'a>,
    epilogue: TuneEpilogue,
) {
    let splits = split_plan(rec.ctx(), candidate, shape).0;
    record_gemm(rec, (candidate, splits), label, shape, bufs, epilogue, true);
}

/// `c = a · bᵀ` through `kernel` in `splits` K ranges, with the shape's epilogue (`d` added for ADD).
/// Where the kernel runs split ([`stages::runs_split`]) it writes the partial products, then with
/// `reduce` their reduction pass and the epilogue; without, the partial products alone
/// ([`crate::gpu::weight_stream`] times the pass that reads the weights).
pub(crate) fn record_gemm<'a>(
    rec: &mut Recorder<'a>,
    (kernel, splits): (GemmKernel, u32),
    label: &'static str,
    (m, n, k): (u32, u32, u32),
    (a, b, c, d, partial): GemmBuffers<'a>,
    epilogue: TuneEpilogue,
    reduce: bool,
) {
    let shape = (m, n, k);
    let (ab, bb) = (Bind::all(a), Bind::all(b));
    let split = stages::runs_split(kernel, splits)
        .then(|| stages::partial_bind(partial, kernel, shape, splits));
    if let (Some(pb), false) = (split, reduce) {
        stages::split_k_products(rec, label, kernel, splits, shape, ab, bb, pb);
        return;
    }
    let (cb, ep) = match epilogue {
        TuneEpilogue::SwiGlu => (
            Bind::range(c, 0, m as u64 * (n / 2) as u64 * elem_size(kernel.is_f16())),
            Epilogue::SwiGlu { router: None },
        ),
        TuneEpilogue::Add => (Bind::all(c), Epilogue::Add(Bind::all(d))),
    };
    let cols = stages::Columns::ALL;
    match split {
        Some(pb) => {
            stages::gemm_split_k(rec, label, kernel, splits, shape, ab, bb, cb, ep, pb, cols)
        }
        None => stages::gemm(rec, label, kernel, shape, ab, bb, cb, ep, cols),
    }
}
