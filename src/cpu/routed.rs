//! The layer on the CPU with a routing mode ([`crate::routing`]): every product-key candidate scored, the
//! mode's pairs kept, the expert branch summed over each token's pairs (ragged: 0 .. K'² a token).

use super::{
    dense_swiglu, dot_f64, par_rows, route_select, routed_from_mask, router_candidates, silu,
    RouterStacks,
};
use crate::routing::{Routed, Routing};
use crate::{OmniMoeWeights, Result};

/// What [`forward_routed`] produces, row-major.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoutedOutput {
    /// T.
    pub tokens: usize,
    /// y = dense + sparse `[T, H]`.
    pub output: Vec<f32>,
    /// Dense SwiGLU branch `[T, H]`.
    pub dense: Vec<f32>,
    /// Expert branch `[T, H]` (zero for a token with no expert).
    pub sparse: Vec<f32>,
    /// Router logits after BatchNorm `[T, 2R]`.
    pub logits: Vec<f32>,
    /// The pairs each token got.
    pub routed: Routed,
}

/// The layer for `x` `[T, H]` with `routing`. Token choice gives [`super::forward`]'s output bit for bit.
pub fn forward_routed(w: &OmniMoeWeights, x: &[f32], routing: &Routing) -> Result<RoutedOutput> {
    let c = w.config;
    let (h, r, k) = (c.hidden_size, c.grid(), c.num_experts_per_token);
    let t = crate::config::check_input(x, h)?;
    routing.validate(t)?;
    let mut logits = vec![0.0; t * 2 * r];
    let ell = RouterStacks::of(w).log_probs(x, h, &mut logits);
    let kp = c.axis_k();
    let (scores, experts) = router_candidates(&ell, r, k);
    let keep = route_select(&scores, &experts, kp * kp, routing, k, c.num_experts);
    let routed = routed_from_mask(&scores, &experts, kp * kp, &keep);

    let mut sparse = vec![0.0; t * h];
    expert_branch(w, x, &routed, &mut sparse);
    let mut dense = vec![0.0; t * h];
    dense_swiglu(w, x, &mut dense);
    let output: Vec<f32> = dense.iter().zip(&sparse).map(|(d, s)| d + s).collect();
    crate::io::check_overflow("output", &output)?;
    Ok(RoutedOutput {
        tokens: t,
        output,
        dense,
        sparse,
        logits,
        routed,
    })
}

/// `sparse[t] = Σ_p SiLU(u_e · x_t) · exp(score_p) · v_e` over token t's pairs in order, with the
/// arithmetic of [`super::expert_scores`] and [`super::expert_combine`] (h rounded to f32, f64 sums).
pub fn expert_branch(w: &OmniMoeWeights, x: &[f32], routed: &Routed, sparse: &mut [f32]) {
    let h = w.config.hidden_size;
    par_rows(sparse, h, |t0, block| {
        let mut acc = vec![0.0f64; h];
        for (dt, row) in block.chunks_mut(h).enumerate() {
            let t = t0 + dt;
            let xt = &x[t * h..][..h];
            acc.fill(0.0);
            for p in routed.range(t) {
                let e = routed.experts[p] as usize;
                let s = dot_f64(&w.up_embed[e * h..][..h], xt);
                let g = (silu(s) * (routed.scores[p] as f64).exp()) as f32 as f64;
                for (a, &v) in acc.iter_mut().zip(&w.down_embed[e * h..][..h]) {
                    *a += g * v as f64;
                }
            }
            for (o, a) in row.iter_mut().zip(&acc) {
                *o = *a as f32;
            }
        }
    });
}
