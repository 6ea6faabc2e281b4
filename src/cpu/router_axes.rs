//! CPU twin of `shaders/router_axes.wgsl`: one token's router logits, normalised, and each axis' K' best.

use super::router_logits::router_logits;
use super::router_normalise::router_normalise;
use super::router_topk::axis_topk;

/// For one token `x` `[H]` and the stacked router keys `w_xy` `[2R, H]`: the logits
/// ([`router_logits`]), normalised ([`router_normalise`] with `mean`, `var` `[2R]`), and each axis'
/// K' = min(R, k) best ([`axis_topk`]) as (log-probabilities, ids), best first: `[x axis, y axis]`.
pub fn router_axes(
    x: &[f32],
    w_xy: &[f32],
    mean: &[f32],
    var: &[f32],
    k: usize,
) -> [(Vec<f32>, Vec<u32>); 2] {
    let r = mean.len() / 2;
    let mut z = vec![0.0; 2 * r];
    router_logits(x, w_xy, x.len(), &mut z);
    let mut ell = vec![0.0; 2 * r];
    router_normalise(&z, mean, var, &mut ell);
    let axis = |a: usize| {
        let values = &ell[a * r..][..r];
        let ids = axis_topk(values, r.min(k));
        (ids.iter().map(|&i| values[i as usize]).collect(), ids)
    };
    [axis(0), axis(1)]
}
