//! Host side of `shaders/expert_scores.wgsl`, `expert_combine.wgsl` and `expert_token.wgsl`.

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;

/// Most bindings an expert table may be split over (`shaders/shared/expert_dot.wgsl`, `expert_sum.wgsl`).
pub const MAX_TABLE_PARTS: usize = 16;

/// Bindings beyond one per table of the variant that takes `parts` parts: 7 with SPLIT (up to 8 parts),
/// 15 with SPLIT16, none for one part.
fn extra_per_table(parts: usize) -> usize {
    match parts {
        0 | 1 => 0,
        2..=8 => 7,
        _ => MAX_TABLE_PARTS - 1,
    }
}

/// Storage bindings beyond its first that a table split over `parts` bindings adds to a shader reading
/// it: expert_scores and expert_combine declare 6 and 4 others, expert_token (both tables) 4.
pub fn table_extra_bindings(parts: usize) -> u32 {
    extra_per_table(parts) as u32
}

/// An expert table (U or V, `[N, H]`): one buffer, or consecutive ranges of `per` experts in up to
/// [`MAX_TABLE_PARTS`] buffers, for tables larger than one storage binding.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a> {
    /// The buffers, experts `j·per ..` in part j.
    pub parts: &'a [wgpu::Buffer],
    /// Experts per part (every part but the last holds exactly this many).
    pub per: u32,
}

impl<'a> Table<'a> {
    /// A table in one buffer.
    pub fn one(buffer: &'a wgpu::Buffer) -> Self {
        Table {
            parts: std::slice::from_ref(buffer),
            per: u32::MAX,
        }
    }

    /// Binds part 0 at `first` and, when split, part j at `extra` + j for every j the variant declares
    /// (part 0 again where there are fewer parts).
    pub(super) fn bind(&self, first: u32, extra: u32, binds: &mut Vec<(u32, Bind<'a>)>) {
        assert!(!self.parts.is_empty() && self.parts.len() <= MAX_TABLE_PARTS);
        binds.push((first, Bind::all(&self.parts[0])));
        for j in 1..=extra_per_table(self.parts.len()) {
            let part = self.parts.get(j).unwrap_or(&self.parts[0]);
            binds.push((extra + j as u32, Bind::all(part)));
        }
    }

    /// `v` with the SPLIT flag (and SPLIT16 beyond 8 parts) and the constant `name` = experts per part,
    /// when split.
    pub(super) fn variant(&self, v: Variant, name: &'static str) -> Variant {
        match extra_per_table(self.parts.len()) {
            0 => v,
            7 => v.with("SPLIT").constant(name, self.per),
            _ => v.with("SPLIT").with("SPLIT16").constant(name, self.per),
        }
    }
}

/// How expert_scores walks the pairs.
pub enum ScoresSchedule<'a> {
    /// One workgroup per expert over its sorted pairs: `offset` `[n + 1]` and `perm` `[pairs]`.
    ExpertCentric {
        /// Where each expert's pairs start.
        offset: Bind<'a>,
        /// The pairs sorted by expert.
        perm: Bind<'a>,
    },
    /// One workgroup per token over its slots: `indices` [t, k].
    TokenCentric {
        /// The router's indices.
        indices: Bind<'a>,
    },
}

/// expert_scores: `h[p] = SiLU(u_e · x_t) · exp(scores[p])` for every pair.
#[allow(clippy::too_many_arguments)]
pub fn expert_scores<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h, k, n): (u32, u32, u32, u32),
    x: Bind<'a>,
    up: Table<'a>,
    scores: Bind<'a>,
    h_out: Bind<'a>,
    schedule: ScoresSchedule<'a>,
) {
    let mut binds = vec![(1, x), (3, scores), (4, h_out)];
    up.bind(2, 10, &mut binds);
    let p = [t, h, k, n];
    let label = "expert_scores";
    let v = up.variant(expert_variant(f16, h), "UP_PER");
    match schedule {
        ScoresSchedule::ExpertCentric { offset, perm } => {
            binds.extend([(5, offset), (6, perm)]);
            let v = v.with("EXPERT_CENTRIC");
            rec.dispatch(label, label, "expert_centric", &v, &p, binds, rec.fold(n));
        }
        ScoresSchedule::TokenCentric { indices } => {
            binds.push((5, indices));
            rec.dispatch(label, label, "token_centric", &v, &p, binds, rec.fold(t));
        }
    }
}

/// The expert stages' variant: f32 or f16 storage, vec4 rows where H % 4 == 0.
pub(super) fn expert_variant(f16: bool, h: u32) -> Variant {
    let v = Variant::storage(f16);
    if h.is_multiple_of(4) {
        v.with("VEC4")
    } else {
        v
    }
}

/// Where [`expert_combine`] and [`expert_token`] put a token's expert branch `b` (`[T, H]`, f32 sums).
#[derive(Clone, Copy, Debug)]
pub enum ExpertOut<'a> {
    /// `sparse = b` (f32).
    Store(Bind<'a>),
    /// `y = y + b` (f32): `y` holds the down projection's output, and gets the same bits as the down GEMM's
    /// [`super::Epilogue::Add`] of a stored branch.
    AddTo(Bind<'a>),
    /// `y = base + b` in the storage type, `base` (f32) holding the down projection's output: the bits of
    /// [`super::Epilogue::AddElem`].
    AddElem {
        /// The down projection's f32 output.
        base: Bind<'a>,
        /// The layer's output in the storage type.
        y: Bind<'a>,
    },
    /// `y = Σ_z partial[z] + b`, the down projection's split-K partial products summed in range order
    /// (what `gemm_reduce` would have stored): the bits of [`ExpertOut::AddTo`] or, with `elem`,
    /// [`ExpertOut::AddElem`] after that reduction, without its pass.
    AddPartials {
        /// The down projection's partial products.
        partials: Partials<'a>,
        /// The layer's output: f32, or the storage type with `elem`.
        y: Bind<'a>,
        /// `y` is in the storage type.
        elem: bool,
    },
}

/// A GEMM's split-K partial products `[ranges, rows, N]` f32 ([`super::split_k_products`]), N the width
/// of the output they sum to.
#[derive(Clone, Copy, Debug)]
pub struct Partials<'a> {
    /// The products.
    pub buf: Bind<'a>,
    /// K ranges.
    pub ranges: u32,
    /// Rows per range (at least the GEMM's M).
    pub rows: u32,
    /// Columns stored permuted within groups of 32 (the SIMT kernel's, where N % 32 == 0: `PERM` in
    /// shared/gemm_epilogue.wgsl, [`super::partials_permute`]); consumers read them with `PERMUTED`.
    pub permuted: bool,
}

impl<'a> ExpertOut<'a> {
    /// Binds the output (6, and 7 for the base or the partial products); the variant's flags; the
    /// parameters `ranges` and `zstride` (in the shader's row elements, of `h` f32 or `h / 4` vec4).
    pub(super) fn bind(
        self,
        binds: &mut Vec<(u32, Bind<'a>)>,
        v: Variant,
        h: u32,
    ) -> (Variant, [u32; 2]) {
        match self {
            ExpertOut::Store(sparse) => {
                binds.push((6, sparse));
                (v, [0; 2])
            }
            ExpertOut::AddTo(y) => {
                binds.push((6, y));
                (v.with("ADD"), [0; 2])
            }
            ExpertOut::AddElem { base, y } => {
                binds.extend([(6, y), (7, base)]);
                (v.with("ADD_ELEM"), [0; 2])
            }
            ExpertOut::AddPartials { partials, y, elem } => {
                binds.extend([(6, y), (7, partials.buf)]);
                let row = if v.flags.contains("VEC4") { h / 4 } else { h };
                let mut v = v
                    .with(if elem { "ADD_ELEM" } else { "ADD" })
                    .with("PARTIAL");
                if partials.permuted {
                    v = v.with("PERMUTED");
                }
                (v, [partials.ranges, partials.rows * row])
            }
        }
    }
}

/// expert_combine: `b[t] = Σ_k h[t, k] · v_{e_k}` in slot order, into `out`.
#[allow(clippy::too_many_arguments)]
pub fn expert_combine<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h, k): (u32, u32, u32),
    h_in: Bind<'a>,
    indices: Bind<'a>,
    down: Table<'a>,
    out: ExpertOut<'a>,
) {
    let mut binds = vec![(1, h_in), (2, indices)];
    down.bind(5, 30, &mut binds);
    let v = down.variant(expert_variant(f16, h), "DOWN_PER");
    let (v, [ranges, zstride]) = out.bind(&mut binds, v, h);
    rec.dispatch(
        "expert_combine",
        "expert_combine",
        "main",
        &v,
        &[t, h, k, ranges, zstride],
        binds,
        rec.fold(t),
    );
}

/// expert_token: [`expert_scores`] (token-centric) and [`expert_combine`] in one pass, the same bits.
#[allow(clippy::too_many_arguments)]
pub fn expert_token<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h, k): (u32, u32, u32),
    x: Bind<'a>,
    up: Table<'a>,
    scores: Bind<'a>,
    indices: Bind<'a>,
    down: Table<'a>,
    out: ExpertOut<'a>,
) {
    let mut binds = vec![(1, x), (3, scores), (4, indices)];
    up.bind(2, 10, &mut binds);
    down.bind(5, 30, &mut binds);
    // Both tables have N rows of H: split alike.
    let v = down.variant(up.variant(expert_variant(f16, h), "UP_PER"), "DOWN_PER");
    let (mut v, [ranges, zstride]) = out.bind(&mut binds, v, h);
    let slices = expert_token_slices(t);
    if slices > 1 && ranges <= SPREAD_MAX_RANGES {
        v = v.with("SPREAD");
    }
    let label = "expert_token";
    let params = [t, h, k, ranges, zstride, slices];
    let groups = rec.fold(t * slices);
    rec.dispatch(label, label, "main", &v, &params, binds, groups);
}

/// Most split-K ranges whose partial products SPREAD loads an element an invocation: one range an
/// invocation of the 256 (`WG` in `shaders/shared/expert_sum.wgsl`).
const SPREAD_MAX_RANGES: u32 = 256;

/// Workgroups per token of [`expert_token`] for `t` tokens: 16 up to 16 tokens, each summing a slice of
/// the branch's columns from V an element an invocation (SPREAD), else 1; `OMNIMOE_ET_SLICES` (a
/// measuring aid, read once) sets the count up to 16 tokens.
fn expert_token_slices(t: u32) -> u32 {
    let s = super::super::measuring::env_count("OMNIMOE_ET_SLICES").unwrap_or(16);
    if t <= 16 {
        s
    } else {
        1
    }
}
