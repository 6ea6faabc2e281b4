//! What the stage tests share: an expert stage's inputs and its branch's tolerance.

use super::common::stage_io::*;

/// x `[t, h]`, U and V `[n, h]` of an expert-stage test, rounded to f16 where `f16`.
pub fn expert_inputs(
    seed: u64,
    t: usize,
    h: usize,
    n: usize,
    f16: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let x = uniform(seed, t * h, -2.0, 2.0);
    let up = uniform(seed ^ 1, n * h, -1.0, 1.0);
    let down = uniform(seed ^ 4, n * h, -1.0, 1.0);
    if f16 {
        return (to_f16(&x), to_f16(&up), to_f16(&down));
    }
    (x, up, down)
}

/// Tolerance of element i of an expert branch `[t, h]` of x, U and V with K choices (`scores`, `indices`)
/// a token: f32 rounding of Σ_k h_k·v_k, h_k's dot included.
pub fn branch_tolerance<'a>(
    (x, up, down): (&'a [f32], &'a [f32], &'a [f32]),
    (h, k): (usize, usize),
    (scores, indices): (&'a [f32], &'a [u32]),
) -> impl Fn(usize) -> f32 + 'a {
    move |i: usize| {
        let (tt, c) = (i / h, i % h);
        let mag: f32 = (0..k)
            .map(|j| {
                let e = indices[tt * k + j] as usize;
                let dot: f32 = (0..h).map(|q| (x[tt * h + q] * up[e * h + q]).abs()).sum();
                (dot + 1.0) * scores[tt * k + j].exp() * down[e * h + c].abs()
            })
            .sum();
        4e-6 * mag + 1e-6
    }
}
