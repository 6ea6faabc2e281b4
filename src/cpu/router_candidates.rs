//! Every product-key candidate of each token, best first: what the routing modes of [`crate::routing`]
//! select from (CPU side of the router's candidates output).

use super::par_rows;
use super::router_topk::axis_topk;

/// The K'² candidates of each token (K' = min(R, k)) from the log-probabilities `ell` `[T, 2R]`:
/// `scores` `[T, K'²]` (ℓx[i] + ℓy[j] in f32) and `experts` `[T, K'²]` (i·R + j), by descending score,
/// ascending expert on ties. The first k of a token are [`super::router_topk`]'s choice.
pub fn router_candidates(ell: &[f32], r: usize, k: usize) -> (Vec<f32>, Vec<u32>) {
    let kp = r.min(k);
    let m = kp * kp;
    let t = ell.len() / (2 * r);
    let mut cand = vec![(0.0f32, 0u32); t * m];
    par_rows(&mut cand, m, |t0, block| {
        for (dt, out) in block.chunks_mut(m).enumerate() {
            let (lx, ly) = ell[(t0 + dt) * 2 * r..][..2 * r].split_at(r);
            let (ix, iy) = (axis_topk(lx, kp), axis_topk(ly, kp));
            for (a, &i) in ix.iter().enumerate() {
                for (b, &j) in iy.iter().enumerate() {
                    out[a * kp + b] = (lx[i as usize] + ly[j as usize], i * r as u32 + j);
                }
            }
            out.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        }
    });
    cand.into_iter().unzip()
}
