//! Host side of `shaders/route_select.wgsl`: unified routing's budgeted top-c per routing group by radix
//! select, the kept pairs compacted per token into offsets, experts and scores; and the ragged expert
//! stage that sums each token's pairs (expert_scores and expert_combine with RAGGED).

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use super::counting_sort::expert_scan;
use super::expert::{expert_variant, Table};

/// Elements a `histogram` workgroup counts (`TILE` in the shader).
const TILE: u32 = 4096;
/// Digits of the 56-bit keys, 8 bits each.
const PASSES: u32 = 7;
/// Most elements of one group: the keys keep 24 bits of the element's index.
pub const ROUTE_MAX_GROUP_ELEMENTS: u64 = 1 << 24;

/// The buffers of [`route_select`].
pub struct RouteBuffers<'a> {
    /// Candidate scores `[T, M]` f32, best first per token.
    pub scores: Bind<'a>,
    /// Candidate experts `[T, M]` u32.
    pub experts: Bind<'a>,
    /// Per token: 1 routed, 0 padding.
    pub valid: Bind<'a>,
    /// Per group: 4 u32 (prefix high, prefix low, c_g, c_g > 0), set by the host before the dispatch.
    pub state: Bind<'a>,
    /// Per group: 256 u32 bins, zero before and after.
    pub hist: Bind<'a>,
    /// Kept pairs per token `[T]`.
    pub counts: Bind<'a>,
    /// `[T + 1]`: where each token's pairs start.
    pub offsets: Bind<'a>,
    /// 1024 u32 of scan scratch.
    pub sums: Bind<'a>,
    /// The kept pairs' experts and scores (room for every kept pair).
    pub pair_experts: Bind<'a>,
    /// The kept pairs' scores.
    pub pair_scores: Bind<'a>,
}

/// The group state [`route_select`] starts from: c_g pairs kept by group g.
pub fn route_state(budgets: &[u32]) -> Vec<u32> {
    budgets
        .iter()
        .flat_map(|&c| [0, 0, c, (c > 0) as u32])
        .collect()
}

/// route_select: for `t` tokens of `m` candidates in groups of `s` tokens, each group's c_g best pairs
/// (the state's budgets), compacted per token in candidate order.
pub fn route_select<'a>(rec: &mut Recorder<'a>, (t, m, s): (u32, u32, u32), b: RouteBuffers<'a>) {
    if t == 0 {
        return;
    }
    let groups = t.div_ceil(s);
    let tiles = (s * m).div_ceil(TILE);
    let label = "route_select";
    let histogram = Variant::default().with("HISTOGRAM");
    let pick = Variant::default().with("PICK");
    for pass in 0..PASSES {
        let params = [t, m, s, groups, pass, tiles];
        let binds = vec![(1, b.scores), (2, b.valid), (3, b.state), (4, b.hist)];
        let wgs = rec.fold(groups * tiles);
        rec.dispatch(label, label, "histogram", &histogram, &params, binds, wgs);
        let binds = vec![(3, b.state), (4, b.hist)];
        let wgs = rec.fold(groups);
        rec.dispatch(label, label, "pick", &pick, &params, binds, wgs);
    }
    let params = [t, m, s, groups, 0, tiles];
    let tokens = Variant::default().with("TOKENS");
    let binds = vec![(1, b.scores), (2, b.valid), (3, b.state), (5, b.counts)];
    let count = tokens.clone().with("COUNT");
    rec.dispatch(label, label, "count", &count, &params, binds, rec.fold(t));
    expert_scan(rec, "route_offsets", t, b.counts, b.offsets, b.sums);
    let binds = vec![
        (1, b.scores),
        (2, b.valid),
        (3, b.state),
        (5, b.offsets),
        (6, b.experts),
        (7, b.pair_experts),
        (8, b.pair_scores),
    ];
    let compact = tokens.with("COMPACT");
    rec.dispatch(
        label,
        label,
        "compact",
        &compact,
        &params,
        binds,
        rec.fold(t),
    );
}

/// The ragged expert stage: `sparse[t] = Σ_p SiLU(u_e · x_t) · exp(scores[p]) · v_e` over token t's pairs
/// `offsets[t] .. offsets[t + 1]` (token-centric expert_scores, then expert_combine, with RAGGED); `h`
/// holds a value per pair. A token with no pair gets zeros.
#[allow(clippy::too_many_arguments)]
pub fn expert_ragged<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, h): (u32, u32),
    x: Bind<'a>,
    up: Table<'a>,
    down: Table<'a>,
    offsets: Bind<'a>,
    experts: Bind<'a>,
    scores: Bind<'a>,
    h_pairs: Bind<'a>,
    sparse: Bind<'a>,
) {
    let mut binds = vec![
        (1, x),
        (3, scores),
        (4, h_pairs),
        (5, experts),
        (6, offsets),
    ];
    up.bind(2, 10, &mut binds);
    let v = up.variant(expert_variant(f16, h).with("RAGGED"), "UP_PER");
    let label = "expert_scores";
    rec.dispatch(
        label,
        label,
        "token_centric",
        &v,
        &[t, h, 0, 0],
        binds,
        rec.fold(t),
    );
    let mut binds = vec![(1, h_pairs), (2, experts), (3, offsets), (6, sparse)];
    down.bind(5, 30, &mut binds);
    let v = down.variant(expert_variant(f16, h).with("RAGGED"), "DOWN_PER");
    let label = "expert_combine";
    rec.dispatch(label, label, "main", &v, &[t, h, 0], binds, rec.fold(t));
}
