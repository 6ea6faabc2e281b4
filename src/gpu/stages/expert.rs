//! Host side of `shaders/expert_scores.wgsl`, `expert_combine.wgsl` and `expert_token.wgsl`.

use super::super::buffers::Bind;
use super::super::pipelines::Variant;
use super::super::recorder::{fold, Recorder};

/// How expert_scores walks the pairs.
pub enum ScoresSchedule<'a> {
    /// One workgroup per expert over its sorted pairs: `offset` [n + 1] and `perm` [pairs].
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
    if h.is_multiple_of(4) {
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
