//! Split-K: a GEMM's K ranges over a third dispatch dimension, then `shaders/gemm_reduce.wgsl` adds the
//! partial products in range order and applies the epilogue.

use super::super::buffers::Bind;
use super::super::measuring::{env_count, env_set};
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use super::expert::Partials;
use super::gemm::{epilogue_variant, gemm_dispatch_grouped, Columns, Epilogue, EpilogueKind};
use super::gemm_kernel::{GemmKernel, SPLIT_K_MAX_M};
use super::skinny::{
    skinny_fewest_splits, skinny_rows, skinny_splits, skinny_takes, skinny_variant,
};

/// Workgroups a split-K GEMM aims for, and at most half of which a tensor-core GEMM's output tiles get
/// ranges (below half, the SIMT kernel's).
/// Measured on an H100 at the README's sizes (BENCHMARKS.md, `h100-run-skinny2/run98.sh`): 128 against
/// 192, 256 and 384 — at T=128 the gate/up GEMM (65 tiles) then runs unsplit and the down projection in 8
/// ranges, the layer 0.103 → 0.081 ms; at T=256 0.104 → 0.092, at T=64 0.071 → 0.065. Again with the
/// tiles over 8 subgroups (`h100-run-code/run286.sh`, per layer of a stack of 4): 128 still best at 32,
/// 64, 128 and 256 tokens (at 64: 0.0384–0.0389 ms against 0.0418–0.0419 at 256, 0.0545–0.0546 at 384).
pub const SPLIT_K_WORKGROUPS: u32 = 128;

/// [`SPLIT_K_WORKGROUPS`], or `OMNIMOE_SPLIT_K_WGS` where set (a measuring aid, read once).
fn split_k_workgroups() -> u32 {
    env_count("OMNIMOE_SPLIT_K_WGS")
        .filter(|&w| w > 1)
        .unwrap_or(SPLIT_K_WORKGROUPS)
}

/// The SIMT kernel's tiles (128 × 128 in f32 arithmetic) take several times a tensor-core tile's time,
/// so a SIMT GEMM of 64 to 127 tiles, which [`split_k`]'s ~128 workgroups leave whole, is split for ~256
/// workgroups instead, each range at least 256 deep. On an H100 (BENCHMARKS.md, "Few rows on the SIMT
/// kernel"), the gate/up GEMM of 16 to 128 tokens (65 tiles) in 4 ranges: 0.111–0.123 → 0.057–0.090
/// ms; the down projection's 8 or 16 tiles split as before (more ranges there cost the expert stage
/// more than they saved). `wgs` is [`split_k`]'s target, which `tiles` already reach half of.
fn simt_splits(tiles: u32, k: u32, wgs: u32) -> u32 {
    if tiles >= wgs {
        return 1;
    }
    (2 * wgs).div_ceil(tiles).min(k / 256).max(1)
}

/// How many K ranges [`gemm_split_k`] should use for an (m, n, k) GEMM through `kernel`: 1 (no split)
/// unless m ≤ [`SPLIT_K_MAX_M`] and the output tiles alone would leave half of a large GPU or more idle
/// (a decode step's down projection is 8 tiles of 128 × 128); then enough ranges for ~128 workgroups,
/// each at least 128 deep in K (~256 for a configuration two workgroups of which fit an SM,
/// [`CoopConfig::per_sm`](super::CoopConfig::per_sm): one round of them as 128 are of the others).
///
/// [`GemmKernel::Skinny`] splits as [`skinny_splits`] says, [`GemmKernel::Gemv`] as `gemv_splits` (in
/// `gemv.rs`) does (a narrow GEMV of 2 to 8 rows: two ranges, a deep one four); a SIMT kernel that runs
/// stream-K at this shape ([`GemmKernel::stream_k_at`]) leaves 2 partial products (each tile's head and
/// tail), and one of 64 to 127 tiles splits as `simt_splits` says.
pub fn split_k(kernel: GemmKernel, (m, n, k): (u32, u32, u32)) -> u32 {
    // Stream-K's head and tail of each tile: two partial products.
    if kernel.stream_k_at((m, n, k)).is_some() {
        return 2;
    }
    let ((tm, tn), simt, per_sm) = match kernel {
        GemmKernel::Coop(config) => (config.tile.dims(), false, config.per_sm()),
        GemmKernel::Skinny { staged, alone } if skinny_takes((m, n, k)) => {
            return skinny_splits((m, n, k), staged, alone)
        }
        GemmKernel::Simt { .. } | GemmKernel::Skinny { .. } => ((128, 128), true, 1),
        GemmKernel::Gemv { f16, .. } => return super::gemv::gemv_splits((m, n, k), f16),
    };
    let tiles = n.div_ceil(tn) * m.div_ceil(tm);
    let wgs = split_k_workgroups() * per_sm;
    if m > SPLIT_K_MAX_M {
        return 1;
    }
    if simt && tiles >= wgs / 2 {
        return simt_splits(tiles, k, wgs);
    }
    // A tensor-core GEMM of more than half the workgroups runs whole; one of half or fewer (64 tiles:
    // a down projection of H = 4096 at 33–128 rows) gets ranges.
    if 2 * tiles > wgs {
        return 1;
    }
    wgs.div_ceil(tiles).min(k / 128).max(1)
}

/// K per range and the number of ranges for `splits` requested over `k` (ranges a multiple of 64 deep,
/// every K step of every kernel).
fn k_ranges(k: u32, splits: u32) -> (u32, u32) {
    let kz = k.div_ceil(splits).next_multiple_of(64);
    (kz, k.div_ceil(kz))
}

/// The ranges `kernel` runs for `splits` asked: the skinny kernel needs at least
/// [`skinny_fewest_splits`].
fn splits_for(kernel: GemmKernel, (m, n, k): (u32, u32, u32), splits: u32) -> u32 {
    match kernel {
        GemmKernel::Skinny { staged, alone } if skinny_takes((m, n, k)) => {
            splits.max(skinny_fewest_splits((m, n, k), staged, alone))
        }
        _ => splits,
    }
}

/// K ranges `kernel` runs for an (m, n, k) GEMM with `splits` asked (what its partial products hold).
pub fn split_ranges(kernel: GemmKernel, shape: (u32, u32, u32), splits: u32) -> u32 {
    k_ranges(shape.2, splits_for(kernel, shape, splits)).1
}

/// Rows of each range's partial product: m, or m rounded up to the skinny kernel's fragments.
fn partial_rows(kernel: GemmKernel, (m, n, k): (u32, u32, u32)) -> u32 {
    if matches!(kernel, GemmKernel::Skinny { .. }) && skinny_takes((m, n, k)) {
        skinny_rows(m)
    } else {
        m
    }
}

/// f32 elements of the partial products [`gemm_split_k`] writes for `splits` over an (m, n, k) GEMM
/// through `kernel`.
pub fn split_k_partial_len(kernel: GemmKernel, (m, n, k): (u32, u32, u32), splits: u32) -> u64 {
    let rows = partial_rows(kernel, (m, n, k));
    k_ranges(k, splits_for(kernel, (m, n, k), splits)).1 as u64 * rows as u64 * n as u64
}

/// Whether a GEMM planned as (`kernel`, `splits`) runs split over K ([`gemm_split_k`], partial products
/// then their sum): more than one range, or the skinny kernel, which always writes partial products.
pub fn runs_split(kernel: GemmKernel, splits: u32) -> bool {
    splits > 1 || matches!(kernel, GemmKernel::Skinny { .. })
}

/// The K ranges an (m, n, k) GEMM through `kernel` runs with, and the bytes of its partial products (0
/// unsplit): as [`split_k`] says, or `None` where it would run split but its partial products exceed
/// `binding` bytes (tiny bindings, wide blocks). What the layer plans and the autotune times.
pub fn split_within(
    kernel: GemmKernel,
    shape: (u32, u32, u32),
    binding: u64,
) -> Option<(u32, u64)> {
    let splits = split_k(kernel, shape);
    if !runs_split(kernel, splits) {
        return Some((1, 0));
    }
    let bytes = split_k_partial_len(kernel, shape, splits) * 4;
    (bytes <= binding).then_some((splits, bytes))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The SIMT kernel splits a GEMM of 64–127 tiles for ~256 workgroups; the tensor-core kernel leaves
    /// it whole; fewer tiles split for ~128 as before; more than 256 rows never split.
    #[test]
    fn simt_gemms_of_a_few_dozen_tiles_split() {
        let simt = GemmKernel::simt(false);
        let coop = GemmKernel::Coop(super::super::CoopConfig::DEFAULT);
        // The README's gate/up GEMM at 16 tokens: 65 tiles.
        assert_eq!(split_k(simt, (16, 8320, 1024)), 4);
        assert_eq!(split_k(coop, (16, 8320, 1024)), 1);
        // 130 tiles (256 tokens) stay whole.
        assert_eq!(split_k(simt, (256, 8320, 1024)), 1);
        // The down projection's 8 tiles: ~128 workgroups, ranges 256 deep.
        assert_eq!(split_k(simt, (16, 1024, 4096)), 16);
        // Shallow K: ranges at least 256 deep.
        assert_eq!(split_k(simt, (16, 8320, 512)), 2);
        assert_eq!(split_k(simt, (300, 8320, 1024)), 1);
    }

    /// A configuration two workgroups of which fit an SM splits for ~256 workgroups: the 32 × 64 tiles
    /// at K step 128 (one an SM) cut a wide down projection of 32 rows into 8 ranges, at K step 64 with
    /// their staging in turns into 16; 258 tiles stay whole either way.
    #[test]
    fn two_workgroups_an_sm_split_for_twice_the_workgroups() {
        use super::super::{CoopConfig, CoopTile};
        let config = |tile, k_step| CoopConfig {
            tile,
            k_step,
            ..CoopConfig::DEFAULT
        };
        let (one, two) = (
            config(CoopTile::Eighth8, 128),
            config(CoopTile::Eighth8Turns, 64),
        );
        assert_eq!((one.per_sm(), two.per_sm()), (1, 2));
        assert_eq!(split_k(GemmKernel::Coop(one), (32, 1024, 16384)), 8);
        assert_eq!(split_k(GemmKernel::Coop(two), (32, 1024, 16384)), 16);
        assert_eq!(split_k(GemmKernel::Coop(two), (32, 16512, 1024)), 1);
        assert_eq!(CoopConfig::DEFAULT.per_sm(), 1);
    }

    /// A tensor-core GEMM of 64 tiles, half of ~128 workgroups (a down projection of H = 4096 at 64 rows
    /// on 64 × 64 tiles, at 128 on 64 × 128), runs in 2 ranges; one of 65 tiles runs whole.
    #[test]
    fn half_a_round_of_tiles_splits_in_two() {
        use super::super::{CoopConfig, CoopTile};
        let coop = |tile, k_step| {
            GemmKernel::Coop(CoopConfig {
                tile,
                k_step,
                ..CoopConfig::DEFAULT
            })
        };
        assert_eq!(
            split_k(coop(CoopTile::Quarter8Turns, 128), (64, 4096, 16384)),
            2
        );
        assert_eq!(split_k(coop(CoopTile::Half8, 64), (128, 4096, 16384)), 2);
        assert_eq!(
            split_k(coop(CoopTile::Quarter8Turns, 128), (64, 4160, 16384)),
            1
        );
        assert_eq!(split_k(coop(CoopTile::Half8, 64), (128, 8320, 1024)), 1);
    }
}
