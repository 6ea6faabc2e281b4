//! Host side of `shaders/gemm.wgsl`, `gemm_coop.wgsl` and `gemv.wgsl`: the epilogues, and which shader and
//! variant a GEMM through a [`GemmKernel`] (`gemm_kernel.rs`) dispatches (the GEMV's lanes and its row
//! from two parts: `gemv.rs`).

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::{fold, Recorder};
use super::gemm_kernel::{GemmKernel, GEMV_MAX_M, GEMV_ROWS};
use super::gemv::{
    gemv_fixed_rows, gemv_fma, gemv_lanes, gemv_pair, gemv_pair_round, gemv_quad, gemv_range_round,
    GEMV_QUAD_WORKGROUP_BYTES,
};
use super::skinny::{skinny_groups, skinny_takes, skinny_variant};

/// Epilogue of a GEMM (see `shaders/gemm.wgsl`).
#[derive(Clone, Copy, Debug)]
pub enum Epilogue<'a> {
    /// C = A·Bᵀ (f32 output).
    Store,
    /// C = A·Bᵀ + D (f32 output).
    Add(Bind<'a>),
    /// C = A·Bᵀ + D with C in the storage type (a layer's output as the next layer's input).
    AddElem(Bind<'a>),
    /// C = SiLU(gate) ⊙ up over interleaved columns; output in the storage type. With `router` =
    /// (split, z), columns from `split` on are router logits written raw to `z` (f32).
    SwiGlu {
        /// (first router column, router logits) where the GEMM's last columns are router logits.
        router: Option<(u32, Bind<'a>)>,
    },
}

/// The B rows of an [`Epilogue::SwiGlu`] GEMM: gate row j, then up row j, for every j (`gate` and `up`
/// `[I, k]`), the interleaving the epilogue pairs columns by.
pub fn swiglu_rows<'a>(gate: &'a [f32], up: &'a [f32], k: usize) -> impl Iterator<Item = f32> + 'a {
    gate.chunks(k)
        .zip(up.chunks(k))
        .flat_map(|(g, u)| g.iter().chain(u).copied())
}

/// Where a GEMM's N output columns lie in its output C: columns `first .. first + N` of rows `width` wide.
/// A weight larger than one storage binding runs as one GEMM per block of its rows, each writing its block
/// of C's columns (`first` even, so a SwiGLU pair stays in one GEMM). The router columns of
/// [`Epilogue::SwiGlu`] count in C's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Columns {
    /// C's first column this GEMM writes.
    pub first: u32,
    /// C's row width in columns; 0 means this GEMM's N (the whole of C).
    pub width: u32,
}

impl Columns {
    /// All of C: the GEMM's N columns are C's.
    pub const ALL: Columns = Columns { first: 0, width: 0 };
}

/// The epilogue of a GEMM without its buffers: what decides the shader variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpilogueKind {
    /// [`Epilogue::Store`].
    Store,
    /// [`Epilogue::Add`].
    Add,
    /// [`Epilogue::AddElem`].
    AddElem,
    /// [`Epilogue::SwiGlu`] without router columns.
    SwiGlu,
    /// [`Epilogue::SwiGlu`] with router columns.
    SwiGluRouter,
}

impl<'a> Epilogue<'a> {
    /// Appends the epilogue's bindings (D, or the router logits Z) to `binds`; returns the first router
    /// column (`n` without router columns).
    pub(super) fn bind(self, n: u32, binds: &mut Vec<(u32, Bind<'a>)>) -> u32 {
        match self {
            Epilogue::Store | Epilogue::SwiGlu { router: None } => n,
            Epilogue::Add(d) | Epilogue::AddElem(d) => {
                binds.push((4, d));
                n
            }
            Epilogue::SwiGlu {
                router: Some((at, z)),
            } => {
                binds.push((5, z));
                at
            }
        }
    }

    /// Its kind.
    pub fn kind(&self) -> EpilogueKind {
        match self {
            Epilogue::Store => EpilogueKind::Store,
            Epilogue::Add(_) => EpilogueKind::Add,
            Epilogue::AddElem(_) => EpilogueKind::AddElem,
            Epilogue::SwiGlu { router: None } => EpilogueKind::SwiGlu,
            Epilogue::SwiGlu { router: Some(_) } => EpilogueKind::SwiGluRouter,
        }
    }
}

/// The preprocessing of shared/gemm_epilogue.wgsl for `epilogue` with f32 or f16 storage.
pub(crate) fn epilogue_variant(f16: bool, epilogue: EpilogueKind) -> Variant {
    let mut variant = Variant::storage(f16);
    match epilogue {
        EpilogueKind::Store => {}
        EpilogueKind::Add => variant = variant.with("ADD"),
        EpilogueKind::AddElem => {
            variant = variant.with("ADD");
            variant.out_f16 = f16;
        }
        EpilogueKind::SwiGlu | EpilogueKind::SwiGluRouter => {
            variant = variant.with("SWIGLU");
            variant.out_f16 = f16;
            if epilogue == EpilogueKind::SwiGluRouter {
                variant = variant.with("ROUTER");
            }
        }
    }
    variant
}

/// The shader, variant and workgroup counts [`gemm`] dispatches for `kernel` on an adapter with `caps`.
pub fn gemm_dispatch(
    caps: &super::super::Capabilities,
    kernel: GemmKernel,
    shape: (u32, u32, u32),
    epilogue: EpilogueKind,
) -> (&'static str, Variant, [u32; 3]) {
    gemm_dispatch_grouped(caps, kernel, shape, epilogue, None, shape.2)
}

/// [`gemm_dispatch`], where a GEMV of 2 to 8 rows in chunks of eight halves with the fma chain streams
/// `group`'s (columns a group, lanes a column) in the rounds `gemv_range_round` gives: a deep narrow
/// GEMV's K ranges (`gemv_range_group`, through `split_k::products_dispatch`). `depth`: how deep in K
/// the dispatch's workgroups each multiply (k unsplit; the tensor-core tiles' AHEAD2 counts its steps,
/// [`CoopConfig::ahead2`](super::CoopConfig::ahead2)); the workgroup counts returned are one range's.
pub(crate) fn gemm_dispatch_grouped(
    caps: &super::super::Capabilities,
    kernel: GemmKernel,
    (m, n, k): (u32, u32, u32),
    epilogue: EpilogueKind,
    group: Option<(u32, u32)>,
    depth: u32,
) -> (&'static str, Variant, [u32; 3]) {
    let f16 = kernel.is_f16();
    let mut variant = epilogue_variant(f16, epilogue);
    // B in K slabs (see `to_slabs`): only the SIMT kernel and the GEMV (also where it hands more rows
    // to the SIMT kernel) read them, and only at K % 8 == 0.
    if kernel.slabs() {
        debug_assert!(k % 8 == 0, "K slabs at K = {k}");
        variant = variant.with("SLABS");
    }
    match kernel {
        GemmKernel::Coop(config) if config.tile.is_nv() => {
            let takes = matches!(
                epilogue,
                EpilogueKind::Store | EpilogueKind::Add | EpilogueKind::AddElem
            );
            if !(caps.nv_coopmat2 && takes && k % 8 == 0) {
                return gemm_dispatch(caps, kernel.wgsl(), (m, n, k), epilogue);
            }
            let (tm, tn) = config.tile.dims();
            ("gemm_cm2", variant, [n.div_ceil(tn), m.div_ceil(tm), 1])
        }
        GemmKernel::Coop(config) if k % 8 == 0 && caps.cooperative_matrix => {
            let mut v = config.variant();
            v.flags.extend(variant.flags);
            v.out_f16 = variant.out_f16;
            // Direct stores write f32 accumulators: only into an f32 C.
            if config.direct && matches!(epilogue, EpilogueKind::Store | EpilogueKind::Add) {
                v = v.with("DIRECT");
            }
            if config.ahead2(depth) {
                v = v.with("AHEAD2");
            }
            let (tm, tn) = config.tile.dims();
            ("gemm_coop", v, [n.div_ceil(tn), m.div_ceil(tm), 1])
        }
        GemmKernel::Gemv { .. } if m <= GEMV_MAX_M => {
            let chunk = if f16 && k % 8 == 0 {
                variant = variant.with("VEC8");
                8
            } else if k % 4 == 0 {
                variant = variant.with("VEC4");
                4
            } else {
                1
            };
            // Rows 8..16 summed from the same loads of B (ROWS16); without, the 8-row build's code is
            // as it was.
            if m > GEMV_ROWS {
                variant = variant.with("ROWS16");
            }
            // Its rows fixed by the pipeline (ROWS in gemv.wgsl: no branch left between the loads of B
            // and of A's rows) up to 8 rows: one token's GEMVs alone on an H200 8.9 → 7.3 µs (gate/up)
            // and 6.6 → 5.7 (down), 4 tokens 12.4 → 9.7 and 11.0 → 7.6, the same bits (BENCHMARKS.md,
            // "The GEMV's rows fixed"). Vector chunks only: with scalar ones (K % 4 != 0) the driver
            // made the ASUM build's sums differ in their last bits from the plain build's when row 0's
            // chunks were loaded ahead (run381), which the decode chain must not.
            let mut lanes = gemv_lanes(m, n, k / chunk);
            let mut columns = 256 / lanes;
            // Each row's sum one fma at a time (FMA in gemv.wgsl), in chunks of eight halves.
            let fma = chunk == 8 && gemv_fma();
            if chunk >= 4 && m <= GEMV_ROWS {
                if gemv_fixed_rows() {
                    variant = variant.constant("ROWS", m);
                }
                // Two columns a group from the same chunks of A (PAIR: A's loads and unpacking halved,
                // the same bits): on an H200 the README's gate/up GEMV alone at 3 tokens 9.6 → 8.1 µs,
                // at 4 9.7 → 8.5, at I = 16384 27.0 → 22.4 (BENCHMARKS.md, "Two columns a group").
                // Four columns a group where their lane sums' workgroup memory fits, else two.
                let quad_fits = caps.workgroup_bytes >= GEMV_QUAD_WORKGROUP_BYTES;
                if let Some((group, group_lanes)) = group.filter(|_| fma && m >= 2) {
                    let group = if quad_fits { group } else { group.min(2) };
                    let round = gemv_range_round(group);
                    variant = variant.with("PAIR");
                    variant = if group == 4 {
                        let pair = variant.constant("PAIR_ROUND", 1);
                        pair.with("QUAD").constant("QUAD_ROUND", round)
                    } else {
                        variant.constant("PAIR_ROUND", round)
                    };
                    lanes = group_lanes;
                    columns = group * 256 / lanes;
                } else if let Some(pair_lanes) = gemv_pair(m, n, lanes) {
                    variant = variant.with("PAIR");
                    if let Some(round) = gemv_pair_round(m) {
                        variant = variant.constant("PAIR_ROUND", round);
                    }
                    lanes = pair_lanes;
                    columns = 2 * 256 / lanes;
                    // Four columns a group with FMA (QUAD: A's loads and unpacking per column halved
                    // again, the same bits), for the gate/up GEMV from 6 rows (5 where wide): on an
                    // H200 per layer of a stack of 4 at I = 16384 and 8 tokens 0.0616–0.0622 →
                    // 0.0596–0.0600 ms, at 6 0.0520 → 0.0493 (BENCHMARKS.md, "Four columns a group",
                    // "A QUAD group's lane sums two blocks at a time").
                    if let Some(round) = gemv_quad(m, n, pair_lanes).filter(|_| fma && quad_fits) {
                        variant = variant.with("QUAD").constant("QUAD_ROUND", round);
                        columns = 4 * 256 / lanes;
                    }
                }
            }
            if fma {
                variant = variant.with("FMA");
            }
            let variant = variant.constant("LANES", lanes);
            ("gemv", variant, fold(n.div_ceil(columns)))
        }
        // The first pass of a split-K GEMM: plain partial products, whatever the epilogue.
        GemmKernel::Skinny { staged, alone }
            if caps.cooperative_matrix && skinny_takes((m, n, k)) =>
        {
            // For one range as deep as K ([`super::split_k_products`] sizes it to the ranges).
            let variant = skinny_variant(caps, (m, n, k), k, staged, alone);
            (
                "gemm_skinny",
                variant,
                skinny_groups((m, n, k), staged, alone),
            )
        }
        _ => {
            // The SwiGLU of four columns in one store where they line up (see `QUADS` in
            // shared/gemm_epilogue.wgsl; [`gemm`] drops it where column blocks or router columns do
            // not). On an H100 it took the f32 gate/up GEMM from 1.66 to 1.61 ms; stores by quads in
            // the plain epilogue made the driver compile the down projection's loop slower (0.82 →
            // 0.89 ms), so plain and ADD stores stay scalar (BENCHMARKS.md, "The SIMT GEMM's
            // epilogue and f16 loads").
            let swiglu = matches!(epilogue, EpilogueKind::SwiGlu | EpilogueKind::SwiGluRouter);
            if swiglu && n % 4 == 0 {
                variant = variant.with("QUADS");
            }
            let (k_step, double_buffer) = match kernel {
                GemmKernel::Simt {
                    k_step,
                    double_buffer,
                    ..
                } => (k_step, double_buffer),
                GemmKernel::Coop(_) | GemmKernel::Gemv { .. } | GemmKernel::Skinny { .. } => {
                    (8, false)
                }
            };
            if double_buffer {
                variant = variant.with("DB");
            }
            // f16 storage at K step 8, single-buffered: a row's eight halves of a step in one 16-byte
            // load (see `VEC8` in gemm.wgsl; on an H100 the f16 GEMMs 9–10% faster, BENCHMARKS.md);
            // else 4 k a load where K allows.
            if f16 && k % 8 == 0 && k_step == 8 && !double_buffer {
                variant = variant.with("VEC8");
            } else if k % 4 == 0 {
                variant = variant.with("VEC4");
            }
            // The SwiGLU GEMM (gate/up) walks its tiles column by column: the workgroups running at
            // once then share few of the weight's tiles and all of x's (COLWALK). On an H100 the gate/up
            // GEMM 2% faster alone (f32 and f16); the walk in every variant made the driver compile
            // the down projection's loop slower (BENCHMARKS.md, "The SIMT GEMM's epilogue and f16
            // loads").
            let groups = if swiglu {
                variant = variant.with("COLWALK");
                [m.div_ceil(128), n.div_ceil(128), 1]
            } else {
                [n.div_ceil(128), m.div_ceil(128), 1]
            };
            ("gemm", variant.constant("TK", k_step), groups)
        }
    }
}

/// Every (shader, variant) the layer may dispatch for an (m, n, k) GEMM through `kernel` with the epilogue
/// `kinds`, its split-K pass included: what [`crate::gpu::Context::compiles`] checks before the kernel is used.
pub fn gemm_uses(
    caps: &super::super::Capabilities,
    kernel: GemmKernel,
    shape: (u32, u32, u32),
    kinds: &[EpilogueKind],
) -> Vec<(&'static str, Variant)> {
    let mut uses: Vec<(&'static str, Variant)> = kinds
        .iter()
        .map(|&kind| {
            let (stage, variant, _) = gemm_dispatch(caps, kernel, shape, kind);
            (stage, variant)
        })
        .collect();
    let (stage, variant, _) = gemm_dispatch(caps, kernel.wgsl(), shape, EpilogueKind::Store);
    // The split-K and stream-K passes, their partial products permuted where the layer's would be.
    let permute = |v: Variant| super::partials_variant(stage, shape.1, v).0;
    if let Some(stream_k) = kernel.stream_k_at(shape) {
        uses.push((stage, permute(stream_k.variant(variant.clone()))));
    }
    if stage != "gemm_skinny" {
        // A split GEMV's lanes are those of one range.
        let (stage, variant) = super::split_k::split_pass(caps, kernel.wgsl(), shape);
        uses.push((stage, permute(variant.with("SPLITK"))));
    }
    uses.sort();
    uses.dedup();
    uses
}

/// gemm: `c = a · bᵀ` (`a` [m, k], `b` [n, k], elem) with an epilogue, into `cols` of C.
#[allow(clippy::too_many_arguments)]
pub fn gemm<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    kernel: GemmKernel,
    (m, n, k): (u32, u32, u32),
    a: Bind<'a>,
    b: Bind<'a>,
    c: Bind<'a>,
    epilogue: Epilogue<'a>,
    cols: Columns,
) {
    let kernel = match kernel {
        GemmKernel::Skinny { .. } => GemmKernel::simt(true),
        // Column blocks only through the WGSL kernels.
        other if cols != Columns::ALL => other.wgsl(),
        other => other,
    };
    let (stage, mut variant, groups) =
        gemm_dispatch(&rec.ctx().caps, kernel, (m, n, k), epilogue.kind());
    if cols != Columns::ALL {
        variant = variant.with("COLS");
    }
    let mut binds = vec![(1, a), (2, b), (3, c)];
    let split = epilogue.bind(n, &mut binds);
    if [cols.first, cols.width, split].iter().any(|x| x % 4 != 0) {
        variant = variant.without("QUADS");
    }
    rec.dispatch(
        label,
        stage,
        "main",
        &variant,
        &[m, n, k, split, 0, cols.first, cols.width],
        binds,
        groups,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::Capabilities;

    /// A deep narrow GEMV's K ranges on four columns a group (QUAD) in rounds of two chunks a column
    /// where the device's workgroup memory holds QUAD's lane sums, else on two (PAIR) in rounds of one on
    /// the same lanes: half the columns a workgroup, twice the workgroups.
    #[test]
    fn grouped_gemv_ranges_take_two_columns_where_quad_does_not_fit() {
        let aids = ["OMNIMOE_GEMV_FMA", "OMNIMOE_GEMV_RANGE_ROUND"];
        if aids.iter().any(|aid| crate::gpu::measuring::env_set(aid)) {
            return;
        }
        let kernel = GemmKernel::Gemv {
            f16: true,
            slabs: false,
        };
        let shape = (8, 1030, 2112);
        let mut caps = Capabilities::all_wgsl();
        let dispatch = |caps: &Capabilities| {
            let store = EpilogueKind::Store;
            gemm_dispatch_grouped(caps, kernel, shape, store, Some((4, 64)), shape.2)
        };
        let (_, quad, groups) = dispatch(&caps);
        assert!(quad.flags.contains("PAIR") && quad.flags.contains("QUAD"));
        assert_eq!(quad.constant_value("QUAD_ROUND"), Some(2));
        assert_eq!(groups, fold(1030u32.div_ceil(16)));
        caps.workgroup_bytes = GEMV_QUAD_WORKGROUP_BYTES - 16;
        let (_, pair, groups) = dispatch(&caps);
        assert!(pair.flags.contains("PAIR") && !pair.flags.contains("QUAD"));
        assert_eq!(pair.constant_value("PAIR_ROUND"), Some(1));
        assert_eq!(groups, fold(1030u32.div_ceil(8)));
    }
}
