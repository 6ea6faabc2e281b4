//! Host side of `shaders/router_experts.wgsl`: a token's router (selection by rank, normalising the raw
//! logits) and its expert stage in one workgroup, the branch stored: the decode chain's second pass, beside
//! the down projection (`src/gpu/layer/decode.rs`).

use super::super::buffers::Bind;
use super::super::measuring::{env_count, env_set};
use super::super::recorder::Recorder;
use super::{candidate_count, expert_variant, router_topk_by_rank, ExpertOut, Table};

/// Storage buffers the shader binds: x, U, scores, indices, V, the branch, z, mean and variance.
pub const ROUTER_EXPERTS_BUFFERS: u32 = 9;

/// Whether [`router_experts`] takes a router of R per axis choosing K, with these expert tables, on a
/// device allowing `per_stage` storage buffers per shader stage: the selection by rank, each table in one
/// binding.
pub fn router_experts_takes(r: u32, k: u32, up: &Table, down: &Table, per_stage: u32) -> bool {
    by_rank_from_one_binding(r, k, up, down) && ROUTER_EXPERTS_BUFFERS <= per_stage
}

/// The selection by rank, each table in one binding: what the shader is built for.
fn by_rank_from_one_binding(r: u32, k: u32, up: &Table, down: &Table) -> bool {
    router_topk_by_rank(r, k) && up.parts.len() == 1 && down.parts.len() == 1
}

/// router_experts: for each of `t` tokens, the router's top-K (by rank, from the raw logits `z` `[t, 2r]`
/// normalised with `stats` = (mean, var)) into `scores` and `indices` `[t, k]`, then the expert branch
/// of those experts for `x` `[t, h]` into `branch` `[t, h]` (f32): the bits of `router_topk` (by rank,
/// tree reductions, NORMALISE) followed by `expert_token` with [`ExpertOut::Store`].
#[allow(clippy::too_many_arguments)]
pub fn router_experts<'a>(
    rec: &mut Recorder<'a>,
    f16: bool,
    (t, r, k, h): (u32, u32, u32, u32),
    z: Bind<'a>,
    (mean, var): (Bind<'a>, Bind<'a>),
    x: Bind<'a>,
    (up, down): (Table<'a>, Table<'a>),
    (scores, indices): (Bind<'a>, Bind<'a>),
    branch: Bind<'a>,
) {
    assert!(
        by_rank_from_one_binding(r, k, &up, &down),
        "router_experts selects by rank from tables in one binding each"
    );
    let mut binds = vec![
        (1, x),
        (3, scores),
        (4, indices),
        (8, z),
        (9, mean),
        (10, var),
    ];
    up.bind(2, 10, &mut binds);
    down.bind(5, 30, &mut binds);
    let mut v =
        super::with_rank_subgroup_tree(&rec.ctx().caps, expert_variant(f16, h).with("NORMALISE"));
    let early = router_experts_early();
    if router_experts_spread() {
        v = v.with("SPREAD");
        if early {
            v = v.with("PRE_V");
        }
    }
    if early {
        v = v.with("DOT8");
    }
    let (v, _) = ExpertOut::Store(branch).bind(&mut binds, v, h);
    let kp = r.min(k);
    let slices = router_experts_slices();
    let params = [t, r, k, kp, candidate_count(kp, k), h, slices];
    let label = "router_experts";
    rec.dispatch(
        label,
        label,
        "main",
        &v,
        &params,
        binds,
        rec.fold(t * slices),
    );
}

/// Whether [`router_experts`] sums its slice of the branch with each (column, expert) element of V loaded
/// by an invocation of its own (SPREAD in `shaders/shared/expert_sum.wgsl`): yes, unless
/// `OMNIMOE_NO_SPREAD` is set (a measuring aid, read once).
fn router_experts_spread() -> bool {
    !env_set("OMNIMOE_NO_SPREAD")
}

/// Whether [`router_experts`] requests its rows earlier: its first round of V before the expert weights
/// (PRE_V in `shaders/shared/expert_sum.wgsl`) and U's chunks eight a round (DOT8 in
/// `shaders/shared/expert_dot.wgsl`), the same bits. Yes, unless `OMNIMOE_RE_LATE` is set (a measuring
/// aid, read once). On an H200 (`h200-run-code/run390.sh`, one token, two rounds): its stage in a stack of
/// 8 13.7 → 12.9 µs, per layer of 8 0.0212 → 0.0206 ms, I = 16384 0.0388 → 0.0379.
fn router_experts_early() -> bool {
    !env_set("OMNIMOE_RE_LATE")
}

/// Workgroups per token of [`router_experts`]: `OMNIMOE_RE_SLICES` where set (a measuring aid, read once),
/// else 16.
fn router_experts_slices() -> u32 {
    env_count("OMNIMOE_RE_SLICES").unwrap_or(16)
}
