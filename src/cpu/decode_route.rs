//! CPU twin of `shaders/decode_route.wgsl`: a token's router and expert stage from x alone — the router
//! logits, their normalisation, the top-k and the expert stage, chained.

/// For `x` `[T, H]`: the router logits against `keys` (`[W_x; W_y]`, `[2R, H]`), BatchNorm with `mean` and
/// `var` (`[2R]`) and a log-softmax per axis, the top `k` (`scores`, `indices`: `[T, K]`), and the expert
/// branch `[T, H]` from `up_embed` and `down_embed` (`[N, H]`).
#[allow(clippy::too_many_arguments)]
pub fn decode_route(
    x: &[f32],
    keys: &[f32],
    mean: &[f32],
    var: &[f32],
    up_embed: &[f32],
    down_embed: &[f32],
    hidden: usize,
    (scores, indices): (&mut [f32], &mut [u32]),
    branch: &mut [f32],
) {
    let (t, cols) = (x.len() / hidden, keys.len() / hidden);
    let (mut z, mut ell) = (vec![0.0; t * cols], vec![0.0; t * cols]);
    super::router_logits(x, keys, hidden, &mut z);
    super::router_normalise(&z, mean, var, &mut ell);
    let k = scores.len() / t.max(1);
    super::router_topk(&ell, cols / 2, k, scores, indices);
    super::expert_token(x, up_embed, down_embed, hidden, scores, indices, branch);
}
