//! Split-K: a GEMM's K ranges over a third dispatch dimension, then `shaders/gemm_reduce.wgsl` adds the
//! partial products in range order and applies the epilogue.

use super::super::buffers::Bind;
use super::super::measuring::env_set;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use super::expert::Partials;
use super::gemm::{epilogue_variant, gemm_dispatch_grouped, Columns, Epilogue, EpilogueKind};
use super::gemm_kernel::GemmKernel;
use super::skinny::{skinny_takes, skinny_variant};

mod ranges;

pub use ranges::*;
use ranges::{k_ranges, partial_rows, splits_for};

/// The first bytes of `buffer` that the partial products of `splits` ranges over an (m, n, k) GEMM through
/// `kernel` take ([`split_k_partial_len`]).
pub fn partial_bind(
    buffer: &wgpu::Buffer,
    kernel: GemmKernel,
    shape: (u32, u32, u32),
    splits: u32,
) -> Bind<'_> {
    Bind::range(buffer, 0, split_k_partial_len(kernel, shape, splits) * 4)
}

/// gemm with split-K: `splits` workgroup layers each multiply one K range into `partial`
/// ([`split_k_partial_len`] f32), then gemm_reduce adds them in range order and applies the epilogue
/// into `cols` of C.
/// [`GemmKernel::Skinny`] on an adapter without cooperative matrices, or on a shape it does not take,
/// runs as the SIMT f16 kernel.
#[allow(clippy::too_many_arguments)]
pub fn gemm_split_k<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    kernel: GemmKernel,
    splits: u32,
    (m, n, k): (u32, u32, u32),
    a: Bind<'a>,
    b: Bind<'a>,
    c: Bind<'a>,
    epilogue: Epilogue<'a>,
    partial: Bind<'a>,
    cols: Columns,
) {
    let partials = split_k_products(rec, label, kernel, splits, (m, n, k), a, b, partial);
    let f16 = kernel.wgsl().is_f16();
    reduce_partials(rec, label, f16, (m, n), partials, c, epilogue, cols);
}

/// The second pass of [`gemm_split_k`] alone (`shaders/gemm_reduce.wgsl`): adds `partials`' ranges in
/// range order and applies `epilogue` (storage type f16 where `f16`) into `cols` of C `[m, n]`. With one
/// range and [`Epilogue::Add`] or [`Epilogue::AddElem`], the GEMM's epilogue on an output already
/// multiplied: the decode chain's last layer adds its two parts with it.
#[allow(clippy::too_many_arguments)]
pub fn reduce_partials<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    f16: bool,
    (m, n): (u32, u32),
    partials: Partials<'a>,
    c: Bind<'a>,
    epilogue: Epilogue<'a>,
    cols: Columns,
) {
    let mut reduce = epilogue_variant(f16, epilogue.kind());
    if cols != Columns::ALL {
        reduce = reduce.with("COLS");
    }
    if partials.permuted {
        reduce = reduce.with("PERMUTED");
    }
    let mut binds = vec![(1, partials.buf), (3, c)];
    let split = epilogue.bind(n, &mut binds);
    let groups = rec.fold((m * n.div_ceil(2)).div_ceil(256));
    let params = [
        m,
        n,
        partials.ranges,
        split,
        partials.rows,
        cols.first,
        cols.width,
    ];
    rec.dispatch(
        label,
        "gemm_reduce",
        "main",
        &reduce,
        &params,
        binds,
        groups,
    );
}

/// The first pass of [`gemm_split_k`] alone: the partial products of `splits` K ranges into `partial`,
/// for a consumer that adds them itself in range order (the expert stage,
/// [`super::ExpertOut::AddPartials`]).
#[allow(clippy::too_many_arguments)]
pub fn split_k_products<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    kernel: GemmKernel,
    splits: u32,
    shape: (u32, u32, u32),
    a: Bind<'a>,
    b: Bind<'a>,
    partial: Bind<'a>,
) -> Partials<'a> {
    products(rec, label, kernel, splits, shape, a, None, b, partial)
}

/// [`split_k_products`] of the skinny kernel with A the SwiGLU of another split-K GEMM's partial products
/// (`gate_up`, rows `width` wide, gate and up in adjacent columns), made while staging (its ACT variant):
/// the down projection from the gate/up GEMM's products, without their reduction pass. The halves it
/// multiplies are made with gemm_reduce's sums and its SwiGLU expression. Only where [`skinny_takes`] the
/// shape on an adapter with cooperative matrices, `width` % 4 == 0 and `2k ≤ width`; `kernel` is the
/// [`GemmKernel::Skinny`] the layer plans the GEMM with.
#[allow(clippy::too_many_arguments)]
pub fn skinny_act_products<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    kernel: GemmKernel,
    splits: u32,
    (m, n, k): (u32, u32, u32),
    gate_up: Partials<'a>,
    width: u32,
    b: Bind<'a>,
    partial: Bind<'a>,
) -> Partials<'a> {
    let shape = (m, n, k);
    assert!(
        matches!(kernel, GemmKernel::Skinny { .. })
            && rec.ctx().caps.cooperative_matrix
            && skinny_takes(shape),
        "the skinny kernel does not take {shape:?} here"
    );
    assert!(width.is_multiple_of(4) && 2 * k <= width && gate_up.rows >= m && !gate_up.permuted);
    let (a, act) = (gate_up.buf, Some((gate_up, width)));
    products(rec, label, kernel, splits, shape, a, act, b, partial)
}

/// Whether `stage` stores the partial products of an N-column GEMM with their columns permuted within
/// groups of 32 (`PERM` in shared/gemm_epilogue.wgsl: each store instruction then writes whole 32-byte
/// sectors): the SIMT kernel (gemm.wgsl, whose partial products go through `store`; the tensor-core
/// kernel's direct stores do not), split-K's or stream-K's, where N % 32 == 0 so that no group straddles
/// a row. On an H100 the f32 down projection by stream-K 0.785 → 0.766 ms in the layer, which made it the
/// autotune's choice there over the plain kernel's 0.797; the layer at 64 and 128 tokens 8–19% faster
/// without tensor cores (BENCHMARKS.md, "Partial products by whole sectors").
/// `OMNIMOE_NO_PERM_PARTIALS=1`, a measuring aid read once, stores them by rows.
pub fn partials_permute(stage: &str, n: u32) -> bool {
    stage == "gemm" && n.is_multiple_of(32) && !env_set("OMNIMOE_NO_PERM_PARTIALS")
}

/// `variant` (a partial-products pass of `stage` over N = `n` columns) with PERM where
/// [`partials_permute`] says, and whether it has it.
pub(crate) fn partials_variant(stage: &str, n: u32, variant: Variant) -> (Variant, bool) {
    if partials_permute(stage, n) {
        (variant.with("PERM"), true)
    } else {
        (variant, false)
    }
}

/// The shader, variant (SPLITK not yet among its flags) and workgroups of the partial-products pass of
/// `ranges` K ranges `kz` deep over an (m, n, k) GEMM through `kernel`: where K % 8 == 0 the GEMV's lanes
/// and columns a group are those of a GEMV as deep as one range (a multiple of 64, so its chunks are
/// those of K), or a deep narrow GEMV's (`gemv_range_group`), else of all of K.
pub(crate) fn products_dispatch(
    caps: &super::super::Capabilities,
    kernel: GemmKernel,
    (m, n, k): (u32, u32, u32),
    kz: u32,
    ranges: u32,
) -> (&'static str, Variant, [u32; 3]) {
    // A deep narrow GEMV's ranges stream two or four columns a group (`gemv_range_group`).
    let (depth, group) = match kernel {
        GemmKernel::Gemv { f16, .. } if ranges > 1 && k.is_multiple_of(8) => {
            (kz, super::gemv::gemv_range_group((m, n, k), f16))
        }
        _ => (k, None),
    };
    let store = EpilogueKind::Store;
    let (stage, variant, mut groups) =
        gemm_dispatch_grouped(caps, kernel, (m, n, depth), store, group, kz);
    groups[2] = ranges;
    (stage, variant, groups)
}

/// The shader and variant of the partial-products pass of an (m, n, k) GEMM through `kernel` split as
/// [`split_k`] says (SPLITK not among its flags): what [`super::gemm_uses`] checks compiles.
pub(crate) fn split_pass(
    caps: &super::super::Capabilities,
    kernel: GemmKernel,
    shape: (u32, u32, u32),
) -> (&'static str, Variant) {
    let (kz, ranges) = k_ranges(shape.2, splits_for(kernel, shape, split_k(kernel, shape)));
    let (stage, variant, _) = products_dispatch(caps, kernel, shape, kz, ranges);
    (stage, variant)
}

/// The partial-products pass of [`split_k_products`] and [`skinny_act_products`]: with `act` (the skinny
/// kernel only) A is made from those partial products.
#[allow(clippy::too_many_arguments)]
fn products<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    kernel: GemmKernel,
    splits: u32,
    (m, n, k): (u32, u32, u32),
    a: Bind<'a>,
    act: Option<(Partials<'a>, u32)>,
    b: Bind<'a>,
    partial: Bind<'a>,
) -> Partials<'a> {
    // The cooperative-matrix-2 kernel has no split-K build.
    let kernel = kernel.wgsl();
    let (kz, ranges) = k_ranges(k, splits_for(kernel, (m, n, k), splits));
    let caps = &rec.ctx().caps;
    let (stage, variant, mut groups) = products_dispatch(caps, kernel, (m, n, k), kz, ranges);
    // (The SPLITK variant is among `gemm_uses`, so the compile probe covers it.)
    let binds = vec![(1, a), (2, b), (3, partial)];
    let (rows, permuted) = if stage == "gemm_skinny" {
        // Its build for ranges kz deep.
        let (staged, alone) = match kernel {
            GemmKernel::Skinny { staged, alone } => (staged, alone),
            _ => (false, false),
        };
        let variant = skinny_variant(caps, (m, n, k), kz, staged, alone);
        let (variant, params) = match act {
            Some((gate_up, width)) => (
                variant.with("ACT"),
                vec![m, n, k, kz, gate_up.ranges, gate_up.rows, width],
            ),
            None => (variant, vec![m, n, k, kz]),
        };
        rec.dispatch(label, stage, "main", &variant, &params, binds, groups);
        (partial_rows(kernel, (m, n, k)), false)
    } else {
        assert!(
            act.is_none(),
            "A from partial products needs the skinny kernel"
        );
        let params = [m, n, k, n, kz];
        let variant = match kernel.stream_k_at((m, n, k)) {
            Some(stream_k) => {
                groups = [stream_k.workgroups(), 1, 1];
                stream_k.variant(variant)
            }
            None => variant.with("SPLITK"),
        };
        let (variant, permuted) = partials_variant(stage, n, variant);
        rec.dispatch(label, stage, "main", &variant, &params, binds, groups);
        (m, permuted)
    };
    Partials {
        buf: partial,
        ranges,
        rows,
        permuted,
    }
}
