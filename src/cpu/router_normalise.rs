//! CPU twin of `shaders/router_normalise.wgsl`.

use super::par_rows;

/// BatchNorm1d's epsilon in the authors' module.
pub const BN_EPS: f64 = 1e-5;

/// Eval-mode, affine-free BatchNorm of the stacked logits `z` `[T, 2R]`:
/// `a = (z − μ) / √(σ² + ε)` per column, with `μ`, `σ²` the stacked running statistics `[2R]`.
pub fn batch_norm(z: &[f32], mean: &[f32], var: &[f32], out: &mut [f32]) {
    let cols = mean.len();
    for (row_in, row_out) in z.chunks(cols).zip(out.chunks_mut(cols)) {
        for c in 0..cols {
            *row_out.get_mut(c).unwrap() = normalised(row_in[c], mean[c], var[c]) as f32;
        }
    }
}

fn normalised(z: f32, mean: f32, var: f32) -> f64 {
    (z as f64 - mean as f64) / (var as f64 + BN_EPS).sqrt()
}

/// Router normalise: BatchNorm (see [`batch_norm`]) then a log-softmax over each axis of R:
/// `ℓ[t, a] = bn[t, a] − log Σ_{a' in the same axis} exp(bn[t, a'])`, computed in f64 with the max
/// subtracted. `z`, `ell`: `[T, 2R]`; `mean`, `var`: `[2R]`.
pub fn router_normalise(z: &[f32], mean: &[f32], var: &[f32], ell: &mut [f32]) {
    let cols = mean.len();
    let r = cols / 2;
    par_rows(ell, cols, |t0, block| {
        let mut a = vec![0.0f64; cols];
        for (dt, row) in block.chunks_mut(cols).enumerate() {
            let zt = &z[(t0 + dt) * cols..][..cols];
            for c in 0..cols {
                a[c] = normalised(zt[c], mean[c], var[c]);
            }
            for axis in [0..r, r..cols] {
                let v = &a[axis.clone()];
                let max = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln();
                for c in axis {
                    row[c] = (a[c] - lse) as f32;
                }
            }
        }
    });
}
