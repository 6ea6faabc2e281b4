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

/// The ragged expert combine with compensation (`RAGGED` + `COMPENSATE`): `y[t] = Σ_p (h[p] · c[t]) ·
/// v_{e_p}` over token t's pairs `offsets[t] .. offsets[t + 1]`, in pair order (f64 per element, each
/// `h · c` rounded to f32 first, as the kernel does).
pub fn expert_combine_compensated(
    h: &[f32],
    experts: &[u32],
    offsets: &[u32],
    factors: &[f32],
    down_embed: &[f32],
    hidden: usize,
    y: &mut [f32],
) {
    par_rows(y, hidden, |t0, block| {
        let mut acc = vec![0.0f64; hidden];
        for (dt, row) in block.chunks_mut(hidden).enumerate() {
            let t = t0 + dt;
            acc.fill(0.0);
            for p in offsets[t] as usize..offsets[t + 1] as usize {
                let g = (h[p] * factors[t]) as f64;
                let v = &down_embed[experts[p] as usize * hidden..][..hidden];
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
