//! CPU twin of `shaders/route_unified_score.wgsl`: USMoE's unified score of a dense router.

use super::par_rows;

/// `U[t, e] = (1 − r)·softmax_E(L[t])[e] + r·sigmoid(L[t, e])·2/E` for logits `L` `[T, E]` (in f64, the
/// max subtracted), `r` = `alpha`.
pub fn route_unified_score(logits: &[f32], e: usize, alpha: f32, unified: &mut [f32]) {
    let r = alpha as f64;
    par_rows(unified, e, |t0, block| {
        for (dt, out) in block.chunks_mut(e).enumerate() {
            let row = &logits[(t0 + dt) * e..][..e];
            let max = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
            let sum: f64 = row.iter().map(|&l| (l as f64 - max).exp()).sum();
            for (u, &l) in out.iter_mut().zip(row) {
                let l = l as f64;
                let soft = (l - max).exp() / sum;
                let sig = 1.0 / (1.0 + (-l).exp());
                *u = ((1.0 - r) * soft + r * sig * 2.0 / e as f64) as f32;
            }
        }
    });
}
