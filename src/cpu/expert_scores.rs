//! CPU twin of `shaders/expert_scores.wgsl` (token-centric: the simplest correct schedule).

use super::{dot_f64, par_rows, silu};

/// Expert scores: for every (token t, slot k) with expert `e = indices[t, k]`,
/// `h[t, k] = SiLU(u_e · x_t) · g` where `g = exp(scores[t, k])` is the routing weight.
/// `x` `[T, H]`, `up_embed` `[N, H]`, `scores`/`indices`/`h` `[T, K]`. The dot accumulates in f64.
pub fn expert_scores(
    x: &[f32],
    up_embed: &[f32],
    hidden: usize,
    scores: &[f32],
    indices: &[u32],
    h: &mut [f32],
) {
    let k = if x.is_empty() {
        1
    } else {
        h.len() / (x.len() / hidden)
    };
    par_rows(h, k, |t0, block| {
        for (dt, row) in block.chunks_mut(k).enumerate() {
            let t = t0 + dt;
            let xt = &x[t * hidden..][..hidden];
            for (slot, out) in row.iter_mut().enumerate() {
                let e = indices[t * k + slot] as usize;
                let s = dot_f64(&up_embed[e * hidden..][..hidden], xt);
                *out = (silu(s) * (scores[t * k + slot] as f64).exp()) as f32;
            }
        }
    });
}
