//! Every product-key candidate of each token, in expert id order: what the routing modes of
//! [`crate::routing`] select from (CPU twin of router_topk.wgsl's ALL variant).

use super::par_rows;
use super::router_topk::axis_topk;

/// The K'² candidates of each token (K' = min(R, k)) from the log-probabilities `ell` `[T, 2R]`:
/// `scores` `[T, K'²]` (ℓx\[i\] + ℓy\[j\] in f32) and `experts` `[T, K'²]` (i·R + j), in ascending expert
/// id order (the order selections break ties in). The K'-best of each axis are [`super::axis_topk`]'s.
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
            out.sort_by_key(|c| c.1);
        }
    });
    cand.into_iter().unzip()
}
