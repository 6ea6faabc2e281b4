//! The CPU reference: one file per forward stage, each named like the WGSL stage it mirrors, plus
//! [`forward`], the whole layer. f32 storage; dot products that decide routing accumulate in f64.
//! Work is split over tokens on all cores with scoped threads; every result is independent of the split,
//! so the reference is deterministic.

mod dense_moe;
mod expert_combine;
mod expert_histogram;
mod expert_scan;
mod expert_scatter;
mod expert_scores;
mod expert_token;
mod gemm;
mod moe_rows;
mod read_probe;
mod route_select;
mod route_unified_score;
mod routed;
mod router_candidates;
mod router_experts;
mod router_logits;
mod router_normalise;
mod router_topk;
mod swiglu;

pub use dense_moe::{dense_moe_experts, dense_moe_forward, dense_moe_scores, DenseMoeOutput};
pub use expert_combine::{expert_combine, expert_combine_compensated};
pub use expert_histogram::expert_histogram;
pub use expert_scan::expert_scan;
pub use expert_scatter::expert_scatter;
pub use expert_scores::expert_scores;
pub use expert_token::expert_token;
pub use gemm::gemm_nt;
pub use moe_rows::{moe_combine, moe_gather};
pub use read_probe::read_probe;
pub use route_select::{objective, route_select, routed_from_mask};
pub use route_unified_score::route_unified_score;
pub use routed::{expert_branch, forward_routed, RoutedOutput};
pub use router_candidates::router_candidates;
pub use router_experts::{router_experts, ExpertTables};
pub use router_logits::router_logits;
pub use router_normalise::{batch_norm, router_normalise, BN_EPS};
pub use router_topk::{axis_topk, router_topk};
pub use swiglu::{silu, swiglu};

use crate::{OmniMoeWeights, Result};

/// Everything one forward pass produces, row-major.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForwardOutput {
    /// T, the number of tokens.
    pub tokens: usize,
    /// y = dense + sparse `[T, H]`.
    pub output: Vec<f32>,
    /// Dense SwiGLU branch `[T, H]`.
    pub dense: Vec<f32>,
    /// Expert branch `[T, H]`.
    pub sparse: Vec<f32>,
    /// Router logits after BatchNorm, before log-softmax `[T, 2R]` (x axis, then y axis).
    pub logits: Vec<f32>,
    /// Chosen experts' log-probabilities, descending `[T, K]`.
    pub scores: Vec<f32>,
    /// Chosen expert ids, in score order `[T, K]`.
    pub indices: Vec<u32>,
}

/// Tokens per progress step of [`forward_with_progress`].
const CHUNK_TOKENS: usize = 512;

/// The router's keys and BatchNorm statistics stacked x axis then y axis, as [`router_logits`],
/// [`batch_norm`] and [`router_normalise`] take them.
pub struct RouterStacks {
    /// `[W_x; W_y]` `[2R, H]`.
    pub keys: Vec<f32>,
    /// `[μ_x; μ_y]` `[2R]`.
    pub mean: Vec<f32>,
    /// `[σ²_x; σ²_y]` `[2R]`.
    pub var: Vec<f32>,
}

impl RouterStacks {
    /// The stacks of `w`.
    pub fn of(w: &OmniMoeWeights) -> Self {
        RouterStacks {
            keys: [w.router_x.as_slice(), &w.router_y].concat(),
            mean: [w.norm_x_mean.as_slice(), &w.norm_y_mean].concat(),
            var: [w.norm_x_var.as_slice(), &w.norm_y_var].concat(),
        }
    }

    /// The router on `x` `[T, H]`: the BatchNorm'd logits into `logits` `[T, 2R]`, and the
    /// log-probabilities ℓ `[T, 2R]` returned.
    pub fn log_probs(&self, x: &[f32], hidden: usize, logits: &mut [f32]) -> Vec<f32> {
        let mut z = vec![0.0; logits.len()];
        router_logits(x, &self.keys, hidden, &mut z);
        batch_norm(&z, &self.mean, &self.var, logits);
        let mut ell = vec![0.0; logits.len()];
        router_normalise(&z, &self.mean, &self.var, &mut ell);
        ell
    }
}

/// The whole layer on the CPU (see [`forward_with_progress`]).
pub fn forward(w: &OmniMoeWeights, x: &[f32]) -> Result<ForwardOutput> {
    forward_with_progress(w, x, &mut |_, _| {})
}

/// The whole layer on the CPU for `x` `[T, H]`, calling `progress(done, total)` in tokens as chunks finish.
/// The expert branch is token-centric: the simplest correct schedule. Fails with [`crate::Error::Overflow`]
/// where the output or the router scores are not finite (finite weights and input that overflow f32).
pub fn forward_with_progress(
    w: &OmniMoeWeights,
    x: &[f32],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ForwardOutput> {
    let c = w.config;
    let (h, r, k) = (c.hidden_size, c.grid(), c.num_experts_per_token);
    let t = crate::config::check_input(x, h)?;
    let mut out = ForwardOutput {
        tokens: t,
        output: vec![0.0; t * h],
        dense: vec![0.0; t * h],
        sparse: vec![0.0; t * h],
        logits: vec![0.0; t * 2 * r],
        scores: vec![0.0; t * k],
        indices: vec![0; t * k],
    };
    let stacks = RouterStacks::of(w);
    progress(0, t);
    let mut t0 = 0;
    while t0 < t {
        let n = CHUNK_TOKENS.min(t - t0);
        let xs = &x[t0 * h..(t0 + n) * h];
        let rows = |width: usize| (t0 * width)..((t0 + n) * width);

        let ell = stacks.log_probs(xs, h, &mut out.logits[rows(2 * r)]);
        let (scores, indices) = (&mut out.scores[rows(k)], &mut out.indices[rows(k)]);
        router_topk(&ell, r, k, scores, indices);

        let mut hk = vec![0.0; n * k];
        expert_scores(xs, &w.up_embed, h, scores, indices, &mut hk);
        expert_combine(&hk, indices, &w.down_embed, h, &mut out.sparse[rows(h)]);
        dense_swiglu(w, xs, &mut out.dense[rows(h)]);
        t0 += n;
        progress(t0, t);
    }
    for ((y, d), s) in out.output.iter_mut().zip(&out.dense).zip(&out.sparse) {
        *y = d + s;
    }
    // Finite weights and input can still overflow f32: a typed error, not NaN.
    crate::io::check_overflow("output", &out.output)?;
    crate::io::check_overflow("router.scores", &out.scores)?;
    Ok(out)
}

/// dense = W_down (SiLU(W_gate x) ⊙ (W_up x)) for the rows of `x`.
pub fn dense_swiglu(w: &OmniMoeWeights, x: &[f32], dense: &mut [f32]) {
    let (h, i) = (w.config.hidden_size, w.config.intermediate_size);
    let t = x.len() / h;
    let mut gate = vec![0.0; t * i];
    let mut up = vec![0.0; t * i];
    gemm_nt(x, &w.gate_proj, t, i, h, &mut gate);
    gemm_nt(x, &w.up_proj, t, i, h, &mut up);
    let mut act = vec![0.0; t * i];
    swiglu(&gate, &up, &mut act);
    gemm_nt(&act, &w.down_proj, t, h, i, dense);
}

/// Number of threads the CPU reference uses.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `f(first_row, block)` over contiguous blocks of rows of `out` (rows of `row_len`) on all cores.
/// Each row is written by exactly one call, so the result does not depend on the split.
pub(crate) fn par_rows<T: Send>(out: &mut [T], row_len: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let rows = out.len().checked_div(row_len).unwrap_or(0);
    let threads = threads().min(rows).max(1);
    if threads == 1 {
        f(0, out);
        return;
    }
    let per = rows.div_ceil(threads);
    std::thread::scope(|s| {
        for (b, block) in out.chunks_mut(per * row_len).enumerate() {
            let f = &f;
            s.spawn(move || f(b * per, block));
        }
    });
}

/// Σ a_i b_i accumulated in f64 over eight independent lanes, summed in a fixed order.
pub fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] as f64 * y[l] as f64;
        }
    }
    for (l, (x, y)) in ra.iter().zip(rb).enumerate() {
        acc[l] += *x as f64 * *y as f64;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}
