//! CPU twin of `shaders/swiglu.wgsl`.

/// SiLU(z) = z · σ(z) = z / (1 + e^(−z)).
pub fn silu(z: f64) -> f64 {
    z / (1.0 + (-z).exp())
}

/// SwiGLU: `act = SiLU(gate) ⊙ up`, elementwise over `[T, I]`.
pub fn swiglu(gate: &[f32], up: &[f32], act: &mut [f32]) {
    for ((a, &g), &u) in act.iter_mut().zip(gate).zip(up) {
        *a = (silu(g as f64) * u as f64) as f32;
    }
}
