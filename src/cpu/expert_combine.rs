//! CPU twin of `shaders/expert_combine.wgsl`.

use super::par_rows;

/// Expert combine: `y[t] = Σ_{k = 0..K} h[t, k] · v_{e_k}` with `e_k = indices[t, k]`, summed in slot order
/// (f64 per element). `h`/`indices` `[T, K]`, `down_embed` `[N, H]`, `y` `[T, H]`.
pub fn expert_combine(
    h: &[f32],
    indices: &[u32],
    down_embed: &[f32],
    hidden: usize,
    y: &mut [f32],
) {
    let t_all = y.len() / hidden;
    let k = h.len().checked_div(t_all).unwrap_or(1);
    par_rows(y, hidden, |t0, block| {
        let mut acc = vec![0.0f64; hidden];
        for (dt, row) in block.chunks_mut(hidden).enumerate() {
            let t = t0 + dt;
            acc.fill(0.0);
            for slot in 0..k {
                let g = h[t * k + slot] as f64;
                let v = &down_embed[indices[t * k + slot] as usize * hidden..][..hidden];
                for (a, &vi) in acc.iter_mut().zip(v) {
                    *a += g * vi as f64;
                }
            }
            for (o, a) in row.iter_mut().zip(&acc) {
                *o = *a as f32;
            }
        }
    });
}
