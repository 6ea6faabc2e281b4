//! CPU twin of `shaders/router_topk.wgsl`.

use std::cmp::Ordering;

use super::par_rows;

/// Descending by value; on equal values the lower index wins.
fn by_value_then_index(a: (f32, u32), b: (f32, u32)) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// The `k` largest entries of `values`, as indices in descending order of value (lower index first on ties).
pub fn axis_topk(values: &[f32], k: usize) -> Vec<u32> {
    let mut idx: Vec<(f32, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i as u32))
        .collect();
    idx.sort_by(|&a, &b| by_value_then_index(a, b));
    idx.truncate(k);
    idx.into_iter().map(|(_, i)| i).collect()
}

/// Router top-k over the log-probabilities `ell` `[T, 2R]` (x axis in `0..R`, y axis in `R..2R`).
///
/// Per token: `K' = min(R, K)`; `I` = top-K' of ℓx, `J` = top-K' of ℓy; the K'² candidates
/// `e = i·R + j` (i ∈ I, j ∈ J) score `ℓx[i] + ℓy[j]` (in f32); the K best, descending (lower expert id
/// first on ties), go to `scores` `[T, K]` and `indices` `[T, K]`. This equals the top-K over all R²
/// experts: an expert in the global top-K has each coordinate in its axis' top-K'.
pub fn router_topk(ell: &[f32], r: usize, k: usize, scores: &mut [f32], indices: &mut [u32]) {
    let kp = r.min(k);
    let mut chosen = vec![(0.0f32, 0u32); scores.len()];
    par_rows(&mut chosen, k, |t0, block| {
        let mut cand = Vec::with_capacity(kp * kp);
        for (dt, out) in block.chunks_mut(k).enumerate() {
            let lt = &ell[(t0 + dt) * 2 * r..][..2 * r];
            let (lx, ly) = lt.split_at(r);
            let (ix, iy) = (axis_topk(lx, kp), axis_topk(ly, kp));
            cand.clear();
            for &i in &ix {
                for &j in &iy {
                    cand.push((lx[i as usize] + ly[j as usize], i * r as u32 + j));
                }
            }
            if k < cand.len() {
                cand.select_nth_unstable_by(k - 1, |&a, &b| by_value_then_index(a, b));
            }
            let top = &mut cand[..k];
            top.sort_by(|&a, &b| by_value_then_index(a, b));
            out.copy_from_slice(top);
        }
    });
    for ((s, i), (cs, ci)) in scores.iter_mut().zip(indices.iter_mut()).zip(chosen) {
        *s = cs;
        *i = ci;
    }
}
