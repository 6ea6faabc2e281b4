//! Host side of `shaders/router_normalise.wgsl` and `shaders/router_topk.wgsl`.

use super::super::buffers::Bind;
use super::super::measuring::{env_count, env_set};
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;

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
        rec.fold(t),
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
    Rank {
        /// Reductions read whole by every invocation instead of a tree.
        flat: bool,
    },
    /// The `by_subgroup` entry point: a subgroup of S lanes per token (SUBGROUP with one fixed size S,
    /// R ≤ 2S, ≤ 2S candidates).
    Subgroup,
    /// The `main` entry point (any R ≤ [`MAX_ROUTER_AXIS`]).
    Sort,
}

/// The router's input.
#[derive(Clone, Copy, Debug)]
pub enum Logits<'a> {
    /// `[T, 2R]` f32 (raw logits z, or log-probabilities ℓ).
    Stored(Bind<'a>),
    /// The raw logits as columns `first .. first + 2R` of a split-K GEMM's partial products of rows
    /// `width` wide (the gate/up GEMM's router columns), which the router adds over the ranges in range
    /// order from zero: the bits gemm_reduce would have stored, without its pass.
    Partials {
        /// The partial products.
        partials: super::Partials<'a>,
        /// Columns of the GEMM.
        width: u32,
        /// The first router column.
        first: u32,
    },
}

impl<'a> From<Bind<'a>> for Logits<'a> {
    fn from(b: Bind<'a>) -> Self {
        Logits::Stored(b)
    }
}

/// Largest R the router takes (the sorts of `router_topk.wgsl`'s `main`; above 1024 its AXIS2048 variant,
/// with [`SORT_2048_BYTES`] of workgroup memory).
pub const MAX_ROUTER_AXIS: u32 = 2048;

/// Workgroup memory of the router's `main` entry point with AXIS2048 (R from 1025 to 2048).
pub const SORT_2048_BYTES: u32 = 2 * 2048 * 4 + 2 * 256 * 4 + 128 * 4;

/// Whether [`TopkKernel::Subgroup`] runs on an adapter with `caps` for (r, k).
pub fn topk_by_subgroup(caps: &super::super::Capabilities, r: u32, k: u32) -> bool {
    let (lo, hi) = caps.subgroup_sizes;
    caps.subgroup
        && lo == hi
        && (4..=128).contains(&lo)
        && 128 % lo == 0
        && r <= 2 * lo
        && candidate_count(r.min(k), k) <= 2 * lo
}

/// The subgroup size within which the selection by rank's normalising reductions shuffle (`SG_TREE` in
/// `shaders/shared/topk_rank.wgsl`: the same pairs added in the same order as its tree through workgroup
/// memory, so the same bits, with fewer barriers): the adapter's one fixed size, a power of two up to 128,
/// natively (browsers keep the tree); `None` elsewhere or with `OMNIMOE_NO_SG_TREE` (a measuring aid,
/// read once).
pub fn rank_subgroup_tree(caps: &super::super::Capabilities) -> Option<u32> {
    let off = env_set("OMNIMOE_NO_SG_TREE");
    let (lo, hi) = caps.subgroup_sizes;
    (!off && caps.subgroup && !caps.browser && lo == hi && lo.is_power_of_two() && lo <= 128)
        .then_some(lo)
}

/// `variant` with the subgroup tree of [`rank_subgroup_tree`] where the adapter has it.
pub(crate) fn with_rank_subgroup_tree(
    caps: &super::super::Capabilities,
    variant: Variant,
) -> Variant {
    match rank_subgroup_tree(caps) {
        Some(sg) => variant.with("SG_TREE").constant("SG", sg),
        None => variant,
    }
}

/// Tokens from which [`router_topk`] selects by subgroup where it can. Measured on an H100 (BENCHMARKS.md):
/// a subgroup per token has the higher throughput (0.034 against 0.044 ms at T = 4096) but a longer chain
/// for one token (the layer at T = 1 took 0.043 against 0.037 ms), and the two are even at T = 1024.
/// Measured again with the leaner selection by subgroup (`h100-run-decode5/run134.sh`): from 1 to 16
/// tokens by subgroup the router's pass took 14–16 µs against 10–12 by rank, the layer at T = 1 0.0332
/// against 0.0296–0.0300 ms, at T = 16 0.0385–0.0388 against 0.0347–0.0348.
pub const TOPK_SUBGROUP_MIN_T: u32 = 1024;

/// The selection [`router_topk`] uses for `t` tokens on an adapter with `caps`: by subgroup from
/// [`TOPK_SUBGROUP_MIN_T`] tokens (`OMNIMOE_TOPK_SUBGROUP_MIN_T`, a measuring aid, read once) where it
/// fits, else by rank, else by sorting.
pub fn topk_kernel(caps: &super::super::Capabilities, t: u32, r: u32, k: u32) -> TopkKernel {
    let min_t = env_count("OMNIMOE_TOPK_SUBGROUP_MIN_T").unwrap_or(TOPK_SUBGROUP_MIN_T);
    if t >= min_t && topk_by_subgroup(caps, r, k) {
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
    ell: impl Into<Logits<'a>>,
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
    ell: impl Into<Logits<'a>>,
    scores: Bind<'a>,
    indices: Bind<'a>,
    normalise: Option<(Bind<'a>, Bind<'a>)>,
) {
    let kp = r.min(k);
    let cand = candidate_count(kp, k);
    let (axis_pow2, cand_pow2) = (r.next_power_of_two(), cand.next_power_of_two());
    let (input, sums, base) = match ell.into() {
        Logits::Stored(b) => (b, [0; 4], Variant::default()),
        Logits::Partials {
            partials,
            width,
            first,
        } => {
            assert!(
                !partials.permuted,
                "the router reads partial products by rows"
            );
            let sums = [partials.ranges, partials.rows, width, first];
            (partials.buf, sums, Variant::default().with("PARTIAL"))
        }
    };
    let mut params = vec![t, r, k, kp, axis_pow2, cand_pow2, cand];
    params.extend(sums);
    let mut binds = vec![(1, input), (2, scores), (3, indices)];
    let label = "router_topk";
    match kernel {
        TopkKernel::Rank { flat } => {
            assert!(
                router_topk_by_rank(r, k),
                "ranks need R ≤ 128 and ≤ 256 candidates"
            );
            let mut v = base;
            if let Some((mean, var)) = normalise {
                v = v.with("NORMALISE");
                binds.extend([(4, mean), (5, var)]);
            }
            if flat {
                v = v.with("FLAT");
            } else if normalise.is_some() {
                v = with_rank_subgroup_tree(&rec.ctx().caps, v);
            }
            rec.dispatch(label, label, "by_rank", &v, &params, binds, rec.fold(t));
        }
        TopkKernel::Subgroup => {
            let caps = &rec.ctx().caps;
            assert!(
                topk_by_subgroup(caps, r, k),
                "no fixed subgroup size for R = {r}, K = {k}"
            );
            let mut v = base.with("SUBGROUP");
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
                rec.fold(t.div_ceil(per_group)),
            );
        }
        TopkKernel::Sort => {
            assert!(normalise.is_none(), "router_topk normalises only by rank");
            // One invocation per compare-exchange of the larger sort.
            let wg = (axis_pow2.max(cand_pow2) / 2).clamp(32, 256);
            let mut v = base.constant("WG", wg);
            assert!(
                r <= MAX_ROUTER_AXIS,
                "the router sorts at most {MAX_ROUTER_AXIS} per axis"
            );
            if axis_pow2 > 1024 {
                v = v.with("AXIS2048");
            }
            rec.dispatch(label, label, "main", &v, &params, binds, rec.fold(t));
        }
    }
}

/// Most candidates per token the routing modes take on the GPU (K'² ≤ this: `route_select` gives each
/// token 256 invocations of up to 32 candidates).
pub const ROUTE_MAX_CANDIDATES: u32 = 8192;

/// Whether [`router_candidates`] finds each axis' K' best by rank (R ≤ 128: the `by_rank` entry point,
/// which can also normalise the raw logits) rather than by sorting.
pub fn candidates_by_rank(r: u32, _k: u32) -> bool {
    r <= 128
}

/// router_candidates: all K'² product-key candidates of each token (K' = min(R, K)) from `input`
/// [t, 2r] into `scores` and `experts` [t, K'²], in ascending expert id order (the order every selection
/// breaks ties in; no sort of the candidates: the ALL variant of router_topk places each (a, b) by the
/// ranks of its indices). The axes' K' best are found by rank where [`candidates_by_rank`], which with
/// `normalise` = (mean, var) reads the raw logits z and normalises first; else by sorting the
/// log-probabilities ℓ (no `normalise`). The CPU twin is [`crate::cpu::router_candidates`]. K'² ≤
/// [`ROUTE_MAX_CANDIDATES`].
pub fn router_candidates<'a>(
    rec: &mut Recorder<'a>,
    (t, r, k): (u32, u32, u32),
    input: Bind<'a>,
    scores: Bind<'a>,
    experts: Bind<'a>,
    normalise: Option<(Bind<'a>, Bind<'a>)>,
) {
    let kp = r.min(k);
    let m = kp * kp;
    assert!(m <= ROUTE_MAX_CANDIDATES, "{m} candidates a token");
    assert!(
        r <= MAX_ROUTER_AXIS,
        "the router sorts at most {MAX_ROUTER_AXIS} per axis"
    );
    let axis_pow2 = r.next_power_of_two();
    // No candidate rows or sort: `cand` 0.
    let params = [t, r, m, kp, axis_pow2, 0, 0];
    let mut binds = vec![(1, input), (2, scores), (3, experts)];
    let label = "router_candidates";
    if candidates_by_rank(r, k) {
        let mut v = Variant::default().with("ALL");
        if let Some((mean, var)) = normalise {
            v = v.with("NORMALISE");
            binds.extend([(4, mean), (5, var)]);
        }
        rec.dispatch(
            label,
            "router_topk",
            "by_rank",
            &v,
            &params,
            binds,
            rec.fold(t),
        );
        return;
    }
    assert!(
        normalise.is_none(),
        "router_candidates normalises only by rank"
    );
    let wg = (axis_pow2 / 2).clamp(32, 256);
    let mut v = Variant::default().constant("WG", wg).with("ALL");
    if axis_pow2 > 1024 {
        v = v.with("AXIS2048");
    }
    rec.dispatch(
        label,
        "router_topk",
        "main",
        &v,
        &params,
        binds,
        rec.fold(t),
    );
}
