//! CPU twin of `shaders/router_experts.wgsl`: the router ([`super::router_normalise`] then
//! [`super::router_topk`]) and the expert stage ([`super::expert_token`]) of each token, one after the other.

/// The expert tables and their row length: U and V `[N, H]`, and H.
pub struct ExpertTables<'a> {
    /// U (`up_embed`).
    pub up: &'a [f32],
    /// V (`down_embed`).
    pub down: &'a [f32],
    /// H.
    pub hidden: usize,
}

/// For each token: the top-K experts of the raw router logits `z` `[T, 2R]` (BatchNorm with `mean` and
/// `var` `[2R]`, log-softmax per axis) into `scores` and `indices` `[T, K]`, then the expert branch of
/// those experts for `x` `[T, H]` into `branch` `[T, H]`.
#[allow(clippy::too_many_arguments)]
pub fn router_experts(
    z: &[f32],
    mean: &[f32],
    var: &[f32],
    x: &[f32],
    tables: &ExpertTables,
    scores: &mut [f32],
    indices: &mut [u32],
    branch: &mut [f32],
) {
    let r = mean.len() / 2;
    let k = scores.len() / (z.len() / (2 * r)).max(1);
    let mut ell = vec![0.0; z.len()];
    super::router_normalise(z, mean, var, &mut ell);
    super::router_topk(&ell, r, k, scores, indices);
    super::expert_token(
        x,
        tables.up,
        tables.down,
        tables.hidden,
        scores,
        indices,
        branch,
    );
}
