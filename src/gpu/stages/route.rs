//! Host side of `shaders/route_select.wgsl`: unified routing's budgeted top-c per routing group by radix
//! select, the kept pairs compacted per token into offsets, experts and scores; and the ragged expert
//! stage that sums each token's pairs (expert_scores and expert_combine with RAGGED).

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::Recorder;
use super::counting_sort::{
    expert_histogram, expert_scan, expert_scatter, ScatterScratch, MAX_SCAN,
};
use super::expert::{expert_variant, Table};

/// Elements a `histogram` workgroup counts (`TILE` in the shader).
const TILE: u32 = 4096;
/// Digits of the 56-bit keys, 8 bits each.
const PASSES: u32 = 7;
/// Most candidates a token `route_select` takes (256 invocations of up to 32).
pub const ROUTE_SELECT_MAX_M: u32 = 8192;
/// Most elements of one group: the keys keep 24 bits of the element's index.
pub const ROUTE_MAX_GROUP_ELEMENTS: u64 = 1 << 24;

/// The buffers of [`route_select`].
pub struct RouteBuffers<'a> {
    /// Candidate scores `[T, M]` f32, in ascending expert order per token.
    pub scores: Bind<'a>,
    /// Candidate experts `[T, M]` u32.
    pub experts: Bind<'a>,
    /// Per token: 1 routed, 0 padding.
    pub valid: Bind<'a>,
    /// Per group: 4 u32 (prefix high, prefix low, c_g, phase: 1 while c_g > 0), set by the host before
    /// the dispatch ([`route_state`]).
    pub state: Bind<'a>,
    /// Per group: 256 u32 bins, zero before and after.
    pub hist: Bind<'a>,
    /// Kept pairs per token `[T]`.
    pub counts: Bind<'a>,
    /// `[T + 1]`: where each token's pairs start.
    pub offsets: Bind<'a>,
    /// 1024 u32 of scan scratch.
    pub sums: Bind<'a>,
    /// The kept pairs' experts, best first per token (room for every kept pair).
    pub pair_experts: Bind<'a>,
    /// The kept pairs' scores.
    pub pair_scores: Bind<'a>,
    /// The kept pairs in candidate order before `order` sorts them: experts, scores and tokens (as
    /// large as `pair_experts`).
    pub staged_experts: Bind<'a>,
    /// See `staged_experts`.
    pub staged_scores: Bind<'a>,
    /// See `staged_experts`.
    pub pair_tokens: Bind<'a>,
    /// Room of the pair buffers, in pairs: at least every kept pair.
    pub max_pairs: u32,
}

/// The group state [`route_select`] starts from: c_g pairs kept by group g (for
/// [`route_expert_choice`]: each expert's capacity in group g).
pub fn route_state(budgets: &[u32]) -> Vec<u32> {
    budgets
        .iter()
        .flat_map(|&c| [0, 0, c, (c > 0) as u32])
        .collect()
}

/// Pairs a selection can keep, its pair buffers' room: the groups' budgets summed (unified), or every
/// candidate of the `t` tokens of `m` (expert choice, whose count only the GPU knows).
pub fn route_room(budgets: &[u32], t: u32, m: u32, expert_choice: bool) -> u64 {
    if expert_choice {
        t as u64 * m as u64
    } else {
        budgets.iter().map(|&c| c as u64).sum()
    }
}

/// route_select: for `t` tokens of `m` candidates in groups of `s` tokens, each group's c_g best pairs
/// (the state's budgets), compacted per token best first. The candidates of a token come in ascending
/// expert order (ties are broken by token, then expert).
pub fn route_select<'a>(rec: &mut Recorder<'a>, (t, m, s): (u32, u32, u32), b: RouteBuffers<'a>) {
    if t == 0 {
        return;
    }
    assert!(m <= ROUTE_SELECT_MAX_M, "{m} candidates a token");
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
    route_compact(rec, (t, m, s), &b, None);
}

/// Kept candidates per token, their offsets, and the compaction: by the groups' thresholds (unified), or
/// by `keep` flags (expert choice).
fn route_compact<'a>(
    rec: &mut Recorder<'a>,
    (t, m, s): (u32, u32, u32),
    b: &RouteBuffers<'a>,
    keep: Option<Bind<'a>>,
) {
    let label = "route_select";
    let params = [t, m, s, t.div_ceil(s)];
    let mut tokens = Variant::default().with("TOKENS");
    let mut binds = match keep {
        Some(keep) => {
            tokens = tokens.with("MASKED");
            vec![(4, keep)]
        }
        None => vec![(2, b.valid), (3, b.state)],
    };
    let mut count_binds = binds.clone();
    count_binds.push((5, b.counts));
    if keep.is_none() {
        count_binds.push((1, b.scores));
    }
    let count = tokens.clone().with("COUNT");
    rec.dispatch(
        label,
        label,
        "count",
        &count,
        &params,
        count_binds,
        rec.fold(t),
    );
    expert_scan(rec, "route_offsets", t, b.counts, b.offsets, b.sums);
    binds.extend([
        (1, b.scores),
        (5, b.offsets),
        (6, b.experts),
        (7, b.staged_experts),
        (8, b.staged_scores),
        (9, b.pair_tokens),
    ]);
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
    let binds = vec![
        (5, b.offsets),
        (7, b.staged_experts),
        (8, b.staged_scores),
        (9, b.pair_tokens),
        (10, b.pair_experts),
        (11, b.pair_scores),
    ];
    let order = Variant::default().with("ORDER");
    let wgs = rec.fold(b.max_pairs.div_ceil(256).max(1));
    rec.dispatch(label, label, "order", &order, &params, binds, wgs);
}

/// Expert choice's scratch beyond [`RouteBuffers`], for `t·m` candidates in `buckets` = groups·N + 1
/// buckets.
pub struct ExpertChoiceBuffers<'a> {
    /// Each candidate's bucket `[t·m]`.
    pub keys: Bind<'a>,
    /// Candidates per bucket `[buckets]`.
    pub count: Bind<'a>,
    /// Where each bucket starts `[buckets + 1]`.
    pub bucket_start: Bind<'a>,
    /// The counting sort's scratch for `t·m` pairs.
    pub scatter: &'a ScatterScratch,
    /// Kept flags `[t·m]`, zero before.
    pub keep: Bind<'a>,
}

/// Buckets of expert choice's counting sort: (group, expert), and one for padding.
pub fn expert_choice_buckets(groups: u32, n: u32) -> u64 {
    groups as u64 * n as u64 + 1
}

/// route_expert_choice: for `t` tokens of `m` candidates in groups of `s` tokens over `n` experts, each
/// expert's `capacity` best tokens of each group (the state's third word), compacted per token in
/// best first. The candidates are sorted by (group, expert) with the counting sort, then ranked
/// within each bucket.
pub fn route_expert_choice<'a>(
    rec: &mut Recorder<'a>,
    (t, m, s, n): (u32, u32, u32, u32),
    b: RouteBuffers<'a>,
    e: ExpertChoiceBuffers<'a>,
) {
    if t == 0 {
        return;
    }
    let groups = t.div_ceil(s);
    let buckets = expert_choice_buckets(groups, n);
    assert!(buckets < MAX_SCAN as u64, "{buckets} buckets");
    let buckets = buckets as u32;
    let label = "route_select";
    let params = [t, m, s, groups, 0, 0, n];
    let pairs = t * m;
    let binds = vec![(2, b.valid), (4, b.experts), (5, e.keys), (6, e.keep)];
    let keys = Variant::default().with("KEYS");
    let wgs = rec.fold(pairs.div_ceil(256));
    rec.dispatch(label, label, "bucket_keys", &keys, &params, binds, wgs);
    expert_histogram(rec, (pairs, buckets), e.keys, e.count);
    expert_scan(
        rec,
        "route_buckets",
        buckets,
        e.count,
        e.bucket_start,
        b.sums,
    );
    let which = expert_scatter(rec, (pairs, buckets), e.keys, e.scatter);
    let perm = Bind::all(&e.scatter.vals[which]);
    let binds = vec![
        (1, b.scores),
        (3, b.state),
        (4, e.bucket_start),
        (5, perm),
        (6, e.keep),
    ];
    let rank = Variant::default().with("RANK");
    let wgs = rec.fold(groups * n);
    rec.dispatch(label, label, "rank", &rank, &params, binds, wgs);
    route_compact(rec, (t, m, s), &b, Some(e.keep));
}

/// The ragged expert stage: `sparse[t] = Σ_p SiLU(u_e · x_t) · exp(scores[p]) · v_e` over token t's pairs
/// `offsets[t] .. offsets[t + 1]` (token-centric expert_scores, then expert_combine, with RAGGED); `h`
/// holds a value per pair. A token with no pair gets zeros. With `compensate`, each token's pairs are
/// weighted by `compensate[t]` in the combine pass (`COMPENSATE`; CPU twin
/// [`crate::cpu::expert_combine_compensated`]).
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
    compensate: Option<Bind<'a>>,
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
    let mut v = down.variant(expert_variant(f16, h).with("RAGGED"), "DOWN_PER");
    if let Some(c) = compensate {
        binds.push((4, c));
        v = v.with("COMPENSATE");
    }
    let label = "expert_combine";
    rec.dispatch(label, label, "main", &v, &[t, h, 0], binds, rec.fold(t));
}

/// route_unified_score: USMoE's unified score `U` `[t, e]` of a dense router's `logits` `[t, e]` with
/// r = `alpha` (see `shaders/route_unified_score.wgsl`; CPU twin [`crate::cpu::route_unified_score`]).
pub fn route_unified_score<'a>(
    rec: &mut Recorder<'a>,
    (t, e): (u32, u32),
    alpha: f32,
    logits: Bind<'a>,
    unified: Bind<'a>,
) {
    let label = "route_unified_score";
    let params = [t, e, alpha.to_bits()];
    let binds = vec![(1, logits), (2, unified)];
    let v = Variant::default();
    rec.dispatch(label, label, "main", &v, &params, binds, rec.fold(t));
}
