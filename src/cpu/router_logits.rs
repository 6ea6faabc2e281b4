//! CPU twin of the router columns of `shaders/gemm.wgsl` (the ROUTER epilogue: the router keys are extra
//! rows of the gate/up GEMM's B, so the logits come out of the same pass over x).

use super::{dot_f64, par_rows};

/// Router logits: `z[t, a] = Σ_h x[t, h] · W[a, h]` for the stacked keys `W = [W_x; W_y]` (`[2R, H]`), so
/// `z` is `[T, 2R]` with the x axis in columns `0..R` and the y axis in `R..2R`. f64 accumulation.
pub fn router_logits(x: &[f32], w_xy: &[f32], hidden: usize, z: &mut [f32]) {
    let cols = w_xy.len() / hidden;
    par_rows(z, cols, |t0, block| {
        for (dt, row) in block.chunks_mut(cols).enumerate() {
            let xt = &x[(t0 + dt) * hidden..][..hidden];
            for (a, out) in row.iter_mut().enumerate() {
                *out = dot_f64(xt, &w_xy[a * hidden..][..hidden]) as f32;
            }
        }
    });
}
