//! The dense-router MoE layer on the CPU ([`crate::dense_moe`]): router logits, the routing mode's
//! scores (softmax, or USMoE's unified score in unified mode), its selection, and each chosen expert's
//! SwiGLU MLP weighted by the pair's score. The reference the GPU layer is checked against.

use super::{
    dot_f64, par_rows, route_select, route_unified_score, routed_from_mask, router_logits, silu,
};
use crate::dense_moe::DenseMoeWeights;
use crate::routing::{Routed, Routing};
use crate::Result;

/// What [`dense_moe_forward`] produces.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DenseMoeOutput {
    /// T.
    pub tokens: usize,
    /// y `[T, H]`.
    pub output: Vec<f32>,
    /// Router logits `[T, E]`.
    pub logits: Vec<f32>,
    /// The routing scores `[T, E]`: softmax, or the unified score U in unified mode.
    pub scores: Vec<f32>,
    /// The pairs each token got, best first; a pair's score is its weight.
    pub routed: Routed,
}

/// The routing scores of `logits` `[T, E]` under `routing`: the softmax over E (token and expert
/// choice), or U = (1−r)·softmax + r·sigmoid·2/E with r = `alpha` (unified).
pub fn dense_moe_scores(logits: &[f32], e: usize, routing: &Routing, alpha: f32) -> Vec<f32> {
    let mut scores = vec![0.0; logits.len()];
    route_unified_score(logits, e, routing.score_r(alpha), &mut scores);
    scores
}

/// The layer for `x` `[T, H]` with `routing` (token choice: each token's top-k of the softmax, OLMoE's
/// routing; its weights are not renormalised) and the unified score's r = `alpha`.
pub fn dense_moe_forward(
    w: &DenseMoeWeights,
    x: &[f32],
    routing: &Routing,
    alpha: f32,
) -> Result<DenseMoeOutput> {
    let c = w.config;
    let (h, e, k) = (c.hidden_size, c.num_experts, c.top_k);
    let t = crate::config::check_input(x, h)?;
    routing.validate(t)?;
    let mut logits = vec![0.0; t * e];
    router_logits(x, &w.router, h, &mut logits);
    let scores = dense_moe_scores(&logits, e, routing, alpha);
    let experts: Vec<u32> = (0..t).flat_map(|_| 0..e as u32).collect();
    let keep = route_select(&scores, &experts, e, routing, k, e);
    let routed = routed_from_mask(&scores, &experts, e, &keep);
    let mut output = vec![0.0; t * h];
    dense_moe_experts(w, x, &routed, &mut output);
    crate::io::check_overflow("output", &output)?;
    Ok(DenseMoeOutput {
        tokens: t,
        output,
        logits,
        scores,
        routed,
    })
}

/// `y[t] = Σ_p score_p · down_e(SiLU(gate_e · x_t) ⊙ (up_e · x_t))` over token t's pairs in order (dots
/// in f64, the SwiGLU activation and each expert's output rounded to f32, the sum in f64).
pub fn dense_moe_experts(w: &DenseMoeWeights, x: &[f32], routed: &Routed, y: &mut [f32]) {
    let c = w.config;
    let (h, i) = (c.hidden_size, c.intermediate_size);
    par_rows(y, h, |t0, block| {
        let mut act = vec![0.0f32; i];
        let mut acc = vec![0.0f64; h];
        for (dt, row) in block.chunks_mut(h).enumerate() {
            let t = t0 + dt;
            let xt = &x[t * h..][..h];
            acc.fill(0.0);
            for p in routed.range(t) {
                let ex = routed.experts[p] as usize;
                for (j, a) in act.iter_mut().enumerate() {
                    let g = dot_f64(&w.gate[(ex * i + j) * h..][..h], xt);
                    let u = dot_f64(&w.up[(ex * i + j) * h..][..h], xt);
                    *a = (silu(g) * u) as f32;
                }
                let weight = routed.scores[p] as f64;
                for (o, a) in acc.iter_mut().enumerate() {
                    let out = dot_f64(&w.down[(ex * h + o) * i..][..i], &act) as f32;
                    *a += weight * out as f64;
                }
            }
            for (o, a) in row.iter_mut().zip(&acc) {
                *o = *a as f32;
            }
        }
    });
}
