//! CPU twin of `shaders/expert_token.wgsl`: the token-centric expert stage in one pass, which is
//! [`super::expert_scores`] followed by [`super::expert_combine`].

/// Expert stage of every token: `h[t, k] = SiLU(u_{e_k} · x_t) · exp(scores[t, k])`, then
/// `sparse[t] = Σ_k h[t, k] · v_{e_k}`. `x` `[T, H]`, `up_embed`/`down_embed` `[N, H]`, `scores`/`indices`
/// `[T, K]`, `sparse` `[T, H]`.
pub fn expert_token(
    x: &[f32],
    up_embed: &[f32],
    down_embed: &[f32],
    hidden: usize,
    scores: &[f32],
    indices: &[u32],
    sparse: &mut [f32],
) {
    let mut h = vec![0.0; scores.len()];
    super::expert_scores(x, up_embed, hidden, scores, indices, &mut h);
    super::expert_combine(&h, indices, down_embed, hidden, sparse);
}
