//! Host side of each WGSL stage: its uniform parameters, bindings and launch shape, recorded into a
//! [`Recorder`] so that a whole forward pass becomes one command buffer. The math of each stage is in the
//! doc comment of its `shaders/<stage>.wgsl` and of its CPU twin in `src/cpu/<stage>.rs`.

use super::buffers::Bind;
use super::context::Context;
use super::pipelines::Variant;

pub use super::recorder::{fold, Frozen, PassTimes, Recorder, MAX_GROUPS};

/// Epilogue of a GEMM (see `shaders/gemm.wgsl`).
pub enum Epilogue<'a> {
    /// C = A·Bᵀ (f32 output).
    Store,
    /// C = A·Bᵀ + D (f32 output).
    Add(Bind<'a>),
    /// C = A·Bᵀ + D with C in the storage type (a layer's output as the next layer's input).
    AddElem(Bind<'a>),
    /// C = SiLU(gate) ⊙ up over interleaved columns; output in the storage type. With `router` =
    /// (split, z), columns from `split` on are router logits written raw to `z` (f32).
    SwiGlu { router: Option<(u32, Bind<'a>)> },
}

/// Tile shape of the tensor-core GEMM (`shaders/gemm_coop.wgsl`): rows × columns of C per workgroup and
/// how its subgroups share them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoopTile {
    /// 128 × 128: 8 subgroups of 32 × 64 (2 × 4 fragments).
    Square,
    /// 256 × 128: 8 subgroups of 64 × 64 (4 × 4 fragments; flag FM4).
    Tall,
    /// 128 × 256: 8 subgroups of 64 × 64 laid 2 × 4 (flags FM4, SGW).
    Wide,
    /// 256 × 128: 16 subgroups of 32 × 64 (flag SG16).
    Tall16,
    /// 128 × 256: 16 subgroups of 32 × 64 laid 4 × 4 (flags SG16, SGW).
    Wide16,
}

impl CoopTile {
    /// (rows, columns) of C per workgroup.
    pub fn dims(self) -> (u32, u32) {
        match self {
            CoopTile::Square => (128, 128),
            CoopTile::Tall | CoopTile::Tall16 => (256, 128),
            CoopTile::Wide | CoopTile::Wide16 => (128, 256),
        }
    }

    /// Subgroups of 32 per workgroup.
    pub fn subgroups(self) -> u32 {
        match self {
            CoopTile::Tall16 | CoopTile::Wide16 => 16,
            _ => 8,
        }
    }

    fn flags(self) -> &'static [&'static str] {
        match self {
            CoopTile::Square => &[],
            CoopTile::Tall => &["FM4"],
            CoopTile::Wide => &["FM4", "SGW"],
            CoopTile::Tall16 => &["SG16"],
            CoopTile::Wide16 => &["SG16", "SGW"],
        }
    }
}

/// One configuration of the tensor-core GEMM (see `shaders/gemm_coop.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CoopConfig {
    /// Workgroup tile.
    pub tile: CoopTile,
    /// K step: 16, 32 or 64 halves.
    pub k_step: u32,
    /// Staged blocks double buffered (one barrier a step instead of two).
    pub double_buffer: bool,
    /// Plain and ADD epilogues store accumulators straight to C (tiles inside C).
    pub direct: bool,
    /// Halves per element of the staged blocks: 1 (`f16`), 2 (`vec2<f16>`) or 4 (`vec4<f16>`).
    pub smem_vec: u32,
}

impl CoopConfig {
    /// The default, the fastest on an H100 at both of the layer's GEMM shapes (BENCHMARKS.md): 128 × 128
    /// tiles, K step 64, one staging buffer of `vec2<f16>`, direct stores.
    pub const DEFAULT: CoopConfig = CoopConfig {
        tile: CoopTile::Square,
        k_step: 64,
        double_buffer: false,
        direct: true,
        smem_vec: 2,
    };

    /// Bytes of workgroup memory this configuration declares.
    pub fn workgroup_bytes(self) -> u32 {
        let (m, n) = self.tile.dims();
        let bufs = if self.double_buffer { 2 } else { 1 };
        bufs * (m + n) * (self.k_step + 8) * 2 + self.tile.subgroups() * 1024
    }

    /// The preprocessing of `shaders/gemm_coop.wgsl` for this configuration (epilogue flags aside).
    pub(crate) fn variant(self) -> Variant {
        let mut v = Variant::storage(true).with("COOP").with("SUBGROUP");
        for flag in self.tile.flags() {
            v = v.with(flag);
        }
        match self.k_step {
            16 => v = v.with("TK16"),
            64 => v = v.with("TK64"),
            _ => {}
        }
        if self.double_buffer {
            v = v.with("DB");
        }
        match self.smem_vec {
            2 => v = v.with("SMEM2"),
            4 => v = v.with("SMEM4"),
            _ => {}
        }
        v
    }
}

/// Which GEMM kernel runs, and its tunable settings (see [`super::tune`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GemmKernel {
    /// `shaders/gemm.wgsl`: f32 arithmetic on any adapter, f32 or f16 storage; K step 8 or 16; staged
    /// blocks single or double buffered.
    Simt {
        f16: bool,
        k_step: u32,
        double_buffer: bool,
    },
    /// `shaders/gemm_coop.wgsl`: f16 storage on tensor cores (needs [`Capabilities::cooperative_matrix`]
    /// and K % 8 == 0; otherwise it runs as the SIMT kernel with K step 8).
    ///
    /// [`Capabilities::cooperative_matrix`]: super::Capabilities::cooperative_matrix
    Coop(CoopConfig),
    /// `shaders/gemv.wgsl`: weight streaming for M ≤ [`GEMV_MAX_M`] rows (decode), f32 or f16 storage;
    /// more rows run as the SIMT kernel.
    Gemv { f16: bool },
}

/// Most rows of A [`GemmKernel::Gemv`] takes.
pub const GEMV_MAX_M: u32 = 8;

impl GemmKernel {
    /// The configurations of this kernel worth timing that fit `workgroup_bytes` of workgroup memory.
    pub fn candidates(self, workgroup_bytes: u32) -> Vec<GemmKernel> {
        match self {
            GemmKernel::Simt { f16, .. } => [(8, false), (16, false), (8, true), (16, true)]
                .into_iter()
                .filter(|&(_, db)| (if db { 32768 } else { 16384 }) <= workgroup_bytes)
                .map(|(k_step, double_buffer)| GemmKernel::Simt {
                    f16,
                    k_step,
                    double_buffer,
                })
                .collect(),
            GemmKernel::Gemv { f16 } => vec![GemmKernel::Gemv { f16 }],
            GemmKernel::Coop(_) => {
                use CoopTile::*;
                // Measured on an H100 (BENCHMARKS.md): K step 64 on 128 × 128 tiles, or 256-row /
                // 256-column tiles at K step 32, with vector-typed workgroup elements, lead; K step 16 and
                // 256-row tiles with double buffering trail and are not tried.
                let configs: Vec<CoopConfig> = [
                    (Square, 64, false, 1),
                    (Square, 64, false, 2),
                    (Square, 64, false, 4),
                    (Square, 32, true, 2),
                    (Tall, 32, false, 2),
                    (Wide, 32, false, 2),
                    (Tall16, 32, false, 2),
                    (Tall16, 32, false, 4),
                    (Wide16, 32, false, 2),
                ]
                .into_iter()
                .map(|(tile, k_step, double_buffer, smem_vec)| CoopConfig {
                    tile,
                    k_step,
                    double_buffer,
                    direct: true,
                    smem_vec,
                })
                .collect();
                configs
                    .into_iter()
                    .filter(|c| c.workgroup_bytes() <= workgroup_bytes)
                    .map(GemmKernel::Coop)
                    .collect()
            }
        }
    }

    /// The kernel with its tunable settings cleared: what the autotune's results are keyed by.
    pub fn family(self) -> GemmKernel {
        match self {
            GemmKernel::Simt { f16, .. } => GemmKernel::Simt {
                f16,
                k_step: 0,
                double_buffer: false,
            },
            GemmKernel::Coop(_) => GemmKernel::Coop(CoopConfig::DEFAULT),
            GemmKernel::Gemv { f16 } => GemmKernel::Gemv { f16 },
        }
    }

    /// Whether this kernel stores activations and weights as f16.
    pub fn is_f16(self) -> bool {
        matches!(
            self,
            GemmKernel::Coop(_)
                | GemmKernel::Simt { f16: true, .. }
                | GemmKernel::Gemv { f16: true }
        )
    }
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
    fn bind(self, n: u32, binds: &mut Vec<(u32, Bind<'a>)>) -> u32 {
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
    caps: &super::Capabilities,
    kernel: GemmKernel,
    (m, n, k): (u32, u32, u32),
    epilogue: EpilogueKind,
) -> (&'static str, Variant, [u32; 3]) {
    let f16 = kernel.is_f16();
    let mut variant = epilogue_variant(f16, epilogue);
    match kernel {
        GemmKernel::Coop(config) if k % 8 == 0 && caps.cooperative_matrix => {
            let mut v = config.variant();
            v.flags.extend(variant.flags);
            v.out_f16 = variant.out_f16;
            // Direct stores write f32 accumulators: only into an f32 C.
            if config.direct && matches!(epilogue, EpilogueKind::Store | EpilogueKind::Add) {
                v = v.with("DIRECT");
            }
            let (tm, tn) = config.tile.dims();
            ("gemm_coop", v, [n.div_ceil(tn), m.div_ceil(tm), 1])
        }
        GemmKernel::Gemv { .. } if m <= GEMV_MAX_M => {
            if f16 && k % 8 == 0 {
                variant = variant.with("VEC8");
            } else if k % 4 == 0 {
                variant = variant.with("VEC4");
            }
            ("gemv", variant, fold(n.div_ceil(4)))
        }
        _ => {
            if k % 4 == 0 {
                variant = variant.with("VEC4");
            }
            let (k_step, double_buffer) = match kernel {
                GemmKernel::Simt {
                    k_step,
                    double_buffer,
                    ..
                } => (k_step, double_buffer),
                GemmKernel::Coop(_) | GemmKernel::Gemv { .. } => (8, false),
            };
            if double_buffer {
                variant = variant.with("DB");
            }
            let groups = [n.div_ceil(128), m.div_ceil(128), 1];
            ("gemm", variant.constant("TK", k_step), groups)
        }
    }
}

/// Every (shader, variant) the layer may dispatch for an (m, n, k) GEMM through `kernel` with the epilogue
/// `kinds`, its split-K pass included: what [`super::Context::compiles`] checks before the kernel is used.
pub fn gemm_uses(
    caps: &super::Capabilities,
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
    let (stage, variant, _) = gemm_dispatch(caps, kernel, shape, EpilogueKind::Store);
    uses.push((stage, variant.with("SPLITK")));
    uses
}

/// gemm: `c = a · bᵀ` (`a` [m, k], `b` [n, k], elem) with an epilogue.
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
) {
    let (stage, variant, groups) =
        gemm_dispatch(&rec.ctx().caps, kernel, (m, n, k), epilogue.kind());
    let mut binds = vec![(1, a), (2, b), (3, c)];
    let split = epilogue.bind(n, &mut binds);
    rec.dispatch(
        label,
        stage,
        "main",
        &variant,
        &[m, n, k, split],
        binds,
        groups,
    );
}

/// Rows of A up to which [`split_k`] may split K.
pub const SPLIT_K_MAX_M: u32 = 256;
/// Workgroups a split-K GEMM aims for: enough to fill a GPU of ~128 compute units twice.
const SPLIT_K_WORKGROUPS: u32 = 256;

/// How many K ranges [`gemm_split_k`] should use for an (m, n, k) GEMM through `kernel`: 1 (no split)
/// unless m ≤ [`SPLIT_K_MAX_M`] and the output tiles alone would leave most of a large GPU idle (a decode
/// step's down projection is 8 tiles of 128 × 128); then enough ranges for ~256 workgroups, each at
/// least 128 deep in K.
pub fn split_k(kernel: GemmKernel, (m, n, k): (u32, u32, u32)) -> u32 {
    let (tm, tn) = match kernel {
        GemmKernel::Coop(config) => config.tile.dims(),
        GemmKernel::Simt { .. } => (128, 128),
        GemmKernel::Gemv { .. } => return 1,
    };
    let tiles = n.div_ceil(tn) * m.div_ceil(tm);
    if m > SPLIT_K_MAX_M || tiles >= SPLIT_K_WORKGROUPS / 2 {
        return 1;
    }
    SPLIT_K_WORKGROUPS.div_ceil(tiles).min(k / 128).max(1)
}

/// K per range and the number of ranges for `splits` requested over `k` (ranges a multiple of 64 deep,
/// every K step of every kernel).
fn k_ranges(k: u32, splits: u32) -> (u32, u32) {
    let kz = k.div_ceil(splits).next_multiple_of(64);
    (kz, k.div_ceil(kz))
}

/// f32 elements of the partial products [`gemm_split_k`] writes for `splits` over an (m, n, k) GEMM.
pub fn split_k_partial_len((m, n, k): (u32, u32, u32), splits: u32) -> u64 {
    k_ranges(k, splits).1 as u64 * m as u64 * n as u64
}

/// gemm with split-K: `splits` workgroup layers each multiply one K range into `partial`
/// ([`split_k_partial_len`] f32), then gemm_reduce adds them in range order and applies the epilogue.
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
) {
    let (kz, ranges) = k_ranges(k, splits);
    let caps = &rec.ctx().caps;
    let (stage, variant, mut groups) = gemm_dispatch(caps, kernel, (m, n, k), EpilogueKind::Store);
    groups[2] = ranges;
    // (The SPLITK variant is among `gemm_uses`, so the compile probe covers it.)
    let binds = vec![(1, a), (2, b), (3, partial)];
    let params = [m, n, k, n, kz];
    rec.dispatch(
        label,
        stage,
        "main",
        &variant.with("SPLITK"),
        &params,
        binds,
        groups,
    );
    let reduce = epilogue_variant(kernel.is_f16(), epilogue.kind());
    let mut binds = vec![(1, partial), (3, c)];
    let split = epilogue.bind(n, &mut binds);
    let groups = fold((m * n.div_ceil(2)).div_ceil(256));
    let params = [m, n, ranges, split, 0];
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

/// router_normalise: BatchNorm + per-axis log-softmax of `z` [t, 2r] into `ell`.
pub fn router_normalise<'a>(
    rec: &mut Recorder<'a>,
    (t, r): (u32, u32),
    z: Bind<'a>,
    mean: Bind<'a>,
    var: Bind<'a>,
    ell: Bind<'a>,
) {
    let binds = vec![(1, z), (2, mean), (3, var), (4, ell)];
    let v = Variant::default().constant("WG", r.next_power_of_two().clamp(32, 256));
    rec.dispatch(
        "router_normalise",
        "router_normalise",
        "main",
        &v,
        &[t, r],
        binds,
        fold(t),
    );
}

/// Candidates the top-k stage sorts: pairs (p, q) with (p+1)(q+1) ≤ K among K'×K'.
pub fn candidate_count(kp: u32, k: u32) -> u32 {
    (0..kp).map(|a| kp.min(k / (a + 1))).sum()
}

/// Whether [`router_topk`] runs its rank-based entry point (R ≤ 128, at most 256 candidates), which can
/// also normalise: then the router needs no separate [`router_normalise`] pass.
pub fn router_topk_by_rank(r: u32, k: u32) -> bool {
    r <= 128 && candidate_count(r.min(k), k) <= 256
}

/// How [`router_topk_with`] selects: by rank (`flat`: the normalising reductions read whole by every
/// invocation instead of a tree), or by bitonic sorts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopkKernel {
    /// The `by_rank` entry point (R ≤ 128, ≤ 256 candidates).
    Rank { flat: bool },
    /// The `by_subgroup` entry point: a subgroup of S lanes per token (SUBGROUP with one fixed size S,
    /// R ≤ 2S, ≤ 2S candidates).
    Subgroup,
    /// The `main` entry point (any R ≤ 1024).
    Sort,
}

/// Whether [`TopkKernel::Subgroup`] runs on an adapter with `caps` for (r, k).
pub fn topk_by_subgroup(caps: &super::Capabilities, r: u32, k: u32) -> bool {
    let (lo, hi) = caps.subgroup_sizes;
    caps.subgroup
        && lo == hi
        && (4..=128).contains(&lo)
        && 128 % lo == 0
        && r <= 2 * lo
        && candidate_count(r.min(k), k) <= 2 * lo
}

/// Tokens from which [`router_topk`] selects by subgroup where it can. Measured on an H100 (BENCHMARKS.md):
/// a subgroup per token has the higher throughput (0.034 against 0.044 ms at T = 4096) but a longer chain
/// for one token (the layer at T = 1 took 0.043 against 0.037 ms), and the two are even at T = 1024.
pub const TOPK_SUBGROUP_MIN_T: u32 = 1024;

/// The selection [`router_topk`] uses for `t` tokens on an adapter with `caps`: by subgroup from
/// [`TOPK_SUBGROUP_MIN_T`] tokens where it fits, else by rank, else by sorting.
pub fn topk_kernel(caps: &super::Capabilities, t: u32, r: u32, k: u32) -> TopkKernel {
    if t >= TOPK_SUBGROUP_MIN_T && topk_by_subgroup(caps, r, k) {
        TopkKernel::Subgroup
    } else if router_topk_by_rank(r, k) {
        TopkKernel::Rank { flat: false }
    } else {
        TopkKernel::Sort
    }
}

/// router_topk: per-token top-K experts from `ell` [t, 2r] into `scores`, `indices` [t, k]. With
/// `normalise` = (mean, var) (only where [`router_topk_by_rank`]), `ell` holds the raw logits z and the
/// stage applies router_normalise first.
pub fn router_topk<'a>(
    rec: &mut Recorder<'a>,
    (t, r, k): (u32, u32, u32),
    ell: Bind<'a>,
    scores: Bind<'a>,
    indices: Bind<'a>,
    normalise: Option<(Bind<'a>, Bind<'a>)>,
) {
    let kernel = topk_kernel(&rec.ctx().caps, t, r, k);
    router_topk_with(rec, kernel, (t, r, k), ell, scores, indices, normalise);
}

/// [`router_topk`] with the selection given (Rank only where [`router_topk_by_rank`]).
#[allow(clippy::too_many_arguments)]
pub fn router_topk_with<'a>(
    rec: &mut Recorder<'a>,
    kernel: TopkKernel,
    (t, r, k): (u32, u32, u32),
    ell: Bind<'a>,
    scores: Bind<'a>,
    indices: Bind<'a>,
    normalise: Option<(Bind<'a>, Bind<'a>)>,
) {
    let kp = r.min(k);
    let cand = candidate_count(kp, k);
    let (axis_pow2, cand_pow2) = (r.next_power_of_two(), cand.next_power_of_two());
    let params = [t, r, k, kp, axis_pow2, cand_pow2, cand];
    let mut binds = vec![(1, ell), (2, scores), (3, indices)];
    let label = "router_topk";
    match kernel {
        TopkKernel::Rank { flat } => {
            assert!(
                router_topk_by_rank(r, k),
                "ranks need R ≤ 128 and ≤ 256 candidates"
            );
            let mut v = Variant::default();
            if let Some((mean, var)) = normalise {
                v = v.with("NORMALISE");
                binds.extend([(4, mean), (5, var)]);
            }
            if flat {
                v = v.with("FLAT");
            }
            rec.dispatch(label, label, "by_rank", &v, &params, binds, fold(t));
        }
        TopkKernel::Subgroup => {
            let caps = &rec.ctx().caps;
            assert!(
                topk_by_subgroup(caps, r, k),
                "no fixed subgroup size for R = {r}, K = {k}"
            );
            let mut v = Variant::default().with("SUBGROUP");
            if let Some((mean, var)) = normalise {
                v = v.with("NORMALISE");
                binds.extend([(4, mean), (5, var)]);
            }
            let per_group = 128 / caps.subgroup_sizes.0;
            rec.dispatch(
                label,
                label,
                "by_subgroup",
                &v,
                &params,
                binds,
                fold(t.div_ceil(per_group)),
            );
        }
        TopkKernel::Sort => {
            assert!(normalise.is_none(), "router_topk normalises only by rank");
            // One invocation per compare-exchange of the larger sort.
            let wg = (axis_pow2.max(cand_pow2) / 2).clamp(32, 256);
            let v = Variant::default().constant("WG", wg);
            rec.dispatch(label, label, "main", &v, &params, binds, fold(t));
        }
    }
}

/// expert_histogram: `count` [n] of the expert ids in `indices` [pairs].
pub fn expert_histogram<'a>(
    rec: &mut Recorder<'a>,
    (pairs, n): (u32, u32),
    indices: Bind<'a>,
    count: Bind<'a>,
) {
    let v = Variant::default();
    let label = "expert_histogram";
    rec.dispatch(
        label,
        label,
        "clear",
        &v,
        &[pairs, n],
        vec![(1, count)],
        fold(n.div_ceil(256)),
    );
    let binds = vec![(1, count), (2, indices)];
    let groups = fold(pairs.div_ceil(256));
    rec.dispatch(
        label,
        label,
        "main",
        &v.with("COUNT"),
        &[pairs, n],
        binds,
        groups,
    );
}

/// Most elements [`expert_scan`] takes: 1024 blocks of 1024.
pub const MAX_SCAN: u32 = 1 << 20;

/// expert_scan: `dst[i] = Σ_{j<i} src[j]` for i ≤ len (dst has len + 1 elements); `sums` holds 1024 u32.
pub fn expert_scan<'a>(
    rec: &mut Recorder<'a>,
    label: &'static str,
    len: u32,
    src: Bind<'a>,
    dst: Bind<'a>,
    sums: Bind<'a>,
) {
    assert!(len <= MAX_SCAN, "scan of {len} elements");
    let blocks = len.div_ceil(1024);
    let v = Variant::default();
    let p = [len, blocks];
    let binds = vec![(1, src), (2, dst), (3, sums)];
    rec.dispatch(
        label,
        "expert_scan",
        "scan_blocks",
        &v.clone().with("BLOCKS"),
        &p,
        binds,
        fold(blocks),
    );
    rec.dispatch(
        label,
        "expert_scan",
        "scan_sums",
        &v,
        &p,
        vec![(2, dst), (3, sums)],
        [1, 1, 1],
    );
    rec.dispatch(
        label,
        "expert_scan",
        "add_offsets",
        &v,
        &p,
        vec![(2, dst), (3, sums)],
        fold(blocks),
    );
}

/// Scratch of [`expert_scatter`] for up to `pairs` pairs.
pub struct ScatterScratch {
    /// Keys, ping and pong.
    pub keys: [wgpu::Buffer; 2],
    /// Values, ping and pong; [`expert_scatter`] says which one ends with the sorted pair ids.
    pub vals: [wgpu::Buffer; 2],
    /// Per-digit, per-tile counts.
    pub table: wgpu::Buffer,
    /// Their exclusive scan: each (digit, tile) bucket's first output slot.
    pub offsets: wgpu::Buffer,
    /// Scan block sums.
    pub sums: wgpu::Buffer,
}

impl ScatterScratch {
    /// Scratch for `pairs` pairs.
    pub fn new(ctx: &Context, pairs: u32) -> Self {
        let s = |l| super::buffers::storage(ctx, l, pairs as u64 * 4);
        let tiles = pairs.div_ceil(1024) as u64;
        ScatterScratch {
            keys: [s("keys 0"), s("keys 1")],
            vals: [s("vals 0"), s("vals 1")],
            table: super::buffers::storage(ctx, "radix counts", 256 * tiles * 4),
            offsets: super::buffers::storage(ctx, "radix offsets", (256 * tiles + 1) * 4),
            sums: super::buffers::storage(ctx, "scan sums", 1024 * 4),
        }
    }
}

/// Radix passes needed for expert ids below `reachable`.
pub fn radix_passes(reachable: u32) -> u32 {
    let bits = 32 - reachable.saturating_sub(1).leading_zeros();
    bits.div_ceil(8).max(1)
}

/// expert_scatter: sorts the pair ids 0..pairs by expert (`indices` [pairs], ids < `reachable`), stably.
/// Returns the index into `scratch.vals` that holds `perm`.
pub fn expert_scatter<'a>(
    rec: &mut Recorder<'a>,
    (pairs, reachable): (u32, u32),
    indices: Bind<'a>,
    scratch: &'a ScatterScratch,
) -> usize {
    let tiles = pairs.div_ceil(1024);
    assert!(256 * tiles <= MAX_SCAN, "{pairs} pairs in one chunk");
    let label = "expert_scatter";
    let table = Bind::all(&scratch.table);
    let offsets = Bind::all(&scratch.offsets);
    let v = Variant::default();
    let passes = radix_passes(reachable);
    for pass in 0..passes {
        let p = [pairs, tiles, pass * 8];
        let (src, dst) = (pass as usize % 2, (pass as usize + 1) % 2);
        let keys_in = if pass == 0 {
            indices
        } else {
            Bind::all(&scratch.keys[src])
        };
        rec.dispatch(
            label,
            label,
            "count",
            &v,
            &p,
            vec![(1, keys_in), (2, table)],
            fold(tiles),
        );
        expert_scan(
            rec,
            label,
            256 * tiles,
            table,
            offsets,
            Bind::all(&scratch.sums),
        );
        let mut binds = vec![
            (1, keys_in),
            (2, offsets),
            (3, Bind::all(&scratch.keys[dst])),
            (4, Bind::all(&scratch.vals[dst])),
        ];
        let mut variant = v.clone().with("SCATTER");
        if pass == 0 {
            variant = variant.with("FIRST");
        } else {
            binds.push((5, Bind::all(&scratch.vals[src])));
        }
        rec.dispatch(label, label, "scatter", &variant, &p, binds, fold(tiles));
    }
    passes as usize % 2
}

/// How expert_scores walks the pairs.
pub enum ScoresSchedule<'a> {
    /// One workgroup per expert over its sorted pairs: `offset` [n + 1] and `perm` [pairs].
    ExpertCentric { offset: Bind<'a>, perm: Bind<'a> },
    /// One workgroup per token over its slots: `indices` [t, k].
    TokenCentric { indices: Bind<'a> },
}

/// expert_scores: `h[p] = SiLU(u_e · x_t) · exp(scores[p])` for every pair.
#[allow(clippy::too_many_arguments)]
pub fn expert_scores<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h, k, n): (u32, u32, u32, u32),
    x: Bind<'a>,
    up: Bind<'a>,
    scores: Bind<'a>,
    h_out: Bind<'a>,
    schedule: ScoresSchedule<'a>,
) {
    let mut binds = vec![(1, x), (2, up), (3, scores), (4, h_out)];
    let p = [t, h, k, n];
    let label = "expert_scores";
    match schedule {
        ScoresSchedule::ExpertCentric { offset, perm } => {
            binds.extend([(5, offset), (6, perm)]);
            let v = expert_variant(f16, h).with("EXPERT_CENTRIC");
            rec.dispatch(label, label, "expert_centric", &v, &p, binds, fold(n));
        }
        ScoresSchedule::TokenCentric { indices } => {
            binds.push((5, indices));
            let v = expert_variant(f16, h);
            rec.dispatch(label, label, "token_centric", &v, &p, binds, fold(t));
        }
    }
}

/// The expert stages' variant: f32 or f16 storage, vec4 rows where H % 4 == 0.
fn expert_variant(f16: bool, h: u32) -> Variant {
    let v = Variant::storage(f16);
    if h % 4 == 0 {
        v.with("VEC4")
    } else {
        v
    }
}

/// expert_combine: `sparse[t] = Σ_k h[t, k] · v_{e_k}` in slot order.
#[allow(clippy::too_many_arguments)]
pub fn expert_combine<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h, k): (u32, u32, u32),
    h_in: Bind<'a>,
    indices: Bind<'a>,
    down: Bind<'a>,
    sparse: Bind<'a>,
) {
    let binds = vec![(1, h_in), (2, indices), (3, down), (4, sparse)];
    let v = expert_variant(f16, h);
    rec.dispatch(
        "expert_combine",
        "expert_combine",
        "main",
        &v,
        &[t, h, k],
        binds,
        fold(t),
    );
}

/// Tokens up to which the layer runs the expert stage as [`expert_token`] (one dispatch) rather than
/// [`expert_scores`] then [`expert_combine`]: the decode range, where each dispatch and the wait between
/// two cost more than the work (measured in BENCHMARKS.md).
pub const EXPERT_TOKEN_MAX_T: u32 = 256;

/// expert_token: [`expert_scores`] (token-centric) and [`expert_combine`] in one pass, the same bits.
#[allow(clippy::too_many_arguments)]
pub fn expert_token<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h, k): (u32, u32, u32),
    x: Bind<'a>,
    up: Bind<'a>,
    scores: Bind<'a>,
    indices: Bind<'a>,
    down: Bind<'a>,
    sparse: Bind<'a>,
) {
    let binds = vec![
        (1, x),
        (2, up),
        (3, scores),
        (4, indices),
        (5, down),
        (6, sparse),
    ];
    let mut v = Variant::storage(f16);
    if h % 4 == 0 {
        v = v.with("VEC4");
    }
    let label = "expert_token";
    rec.dispatch(label, label, "main", &v, &[t, h, k], binds, fold(t));
}
