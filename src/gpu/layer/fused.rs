//! The few-token chain: the split-K GEMMs leave their partial products to the passes after them instead of
//! reducing them in passes of their own. Each consumer adds the ranges in range order from zero, what
//! `gemm_reduce` would have stored (the same f32 sums), and the down projection's staging applies the same
//! SwiGLU expression as `gemm_reduce`'s epilogue: the router and the down projection read the gate/up
//! GEMM's products, the one-pass expert stage the down projection's. Bitwise reproducible run to run like
//! every path (a fixed order everywhere).

use super::*;

/// Most tokens of a chunk that runs the fused chain ([`OmniMoeLayer::fused_plan`]). Measured on an H100 at
/// the README's sizes (BENCHMARKS.md, `h100-run-decode3/run104.sh`): 8 and 16 tokens 0.0377 → 0.0363 and
/// 0.0394 → 0.0378 ms; at 32 tokens slower (0.0462 → 0.0476: its down projection stages twice the rows,
/// each from the gate/up GEMM's f32 products instead of f16).
const FUSED_MAX_M: u32 = 16;

/// The fused chain's down projection reads the gate/up GEMM's f32 partial products, every range of its K
/// range for every row, once in each of its ⌈H/128⌉ column workgroups: ⌈H/128⌉·T·I·2·4·ranges bytes (from
/// L2; as many column workgroups as [`stages::skinny_groups`] gives: ⌈H/256⌉ on eight subgroups a
/// workgroup), where after a reduction pass it would stage T·I f16 values. Below this many bytes the saved pass
/// wins, from it the reduction. Measured on an H100 (BENCHMARKS.md, twenty-fifth session,
/// `h100-run-code/run312.sh`, per layer of a stack of 4, fused → not, H = 1024, the gate/up GEMM in 2
/// ranges): I = 4096 at 16 tokens (8 MiB) 0.0342 → 0.0354 ms, I = 8192 at 8 (8 MiB) 0.0470 → 0.0480, at 16
/// (16 MiB) 0.0491 → 0.0486, I = 16384 at 2 (4 MiB) 0.0772 → 0.0780, at 8 (16 MiB) 0.0814 → 0.0785, at 16
/// (32 MiB) 0.0871 → 0.0797; the same bits either way.
const FUSED_MAX_ACT_BYTES: u64 = 16 << 20;

/// Bytes the fused chain's down projection (N = `n_down`) reads of the gate/up GEMM's `ranges` ranges of
/// partial products at `t` tokens and intermediate size `i` ([`FUSED_MAX_ACT_BYTES`]), once in each of
/// the skinny kernel's column workgroups ([`stages::skinny_groups`] beside other work: the down projection
/// runs beside the router).
fn act_bytes(t: u32, n_down: u32, i: u32, ranges: u32) -> u64 {
    let columns = stages::skinny_groups((t, n_down, i), true, false)[0];
    (columns as u64) * t as u64 * i as u64 * 2 * 4 * ranges as u64
}

/// `OMNIMOE_NO_FUSED` (a measuring aid): chunks never run the fused chain.
fn fused_off() -> bool {
    crate::gpu::measuring::env_set("OMNIMOE_NO_FUSED")
}

/// A chunk's per-token bindings.
pub(super) struct Chunk<'a> {
    pub x: Bind<'a>,
    pub y: Bind<'a>,
    pub scores: Bind<'a>,
    pub indices: Bind<'a>,
}

/// How a chunk runs the fused chain ([`OmniMoeLayer::fused_plan`]).
pub(super) struct FusedPlan<'w> {
    /// The gate/up weight, its GEMM's kernel, N and ranges asked.
    gate_up: (&'w wgpu::Buffer, GemmKernel, u32, u32),
    /// The down weight, the skinny kernel as the layer runs it, and its ranges asked.
    down: (&'w wgpu::Buffer, GemmKernel, u32),
}

impl OmniMoeLayer<'_> {
    /// (H, I, K, R) of the layer.
    pub(super) fn dims32(&self) -> (u32, u32, u32, u32) {
        let c = self.config;
        (
            c.hidden_size as u32,
            c.intermediate_size as u32,
            c.num_experts_per_token as u32,
            c.grid() as u32,
        )
    }

    /// Whether the expert stage runs as one pass (token-centric, both tables in one shader's bindings).
    pub(super) fn one_pass_experts(&self) -> bool {
        self.experts && self.schedule == ExpertSchedule::TokenCentric && self.split.expert_token
    }

    /// Whether a forward of `tokens` tokens (a chunk's worth at most) runs the fused chain of
    /// [`Self::fused_plan`]: for tests that must know which path they checked.
    #[doc(hidden)]
    pub fn fused_chain(&self, tokens: usize) -> bool {
        self.fused_plan(tokens.clamp(1, self.chunk) as u32)
            .is_some()
    }

    /// How a chunk of `t` tokens runs the fused chain (gate/up products → router ∥ down projection from
    /// them → expert stage), if it does: up to [`FUSED_MAX_M`] tokens, the one-pass expert stage, the
    /// router by rank, each weight in one binding, the gate/up GEMM split over K and the down projection
    /// on the skinny kernel (which [`Self::gemm_plan`] chooses only where the adapter runs it and it takes
    /// the shape), and the down projection's reads of the gate/up products below [`FUSED_MAX_ACT_BYTES`].
    pub(super) fn fused_plan(&self, t: u32) -> Option<FusedPlan<'_>> {
        if t > FUSED_MAX_M || fused_off() {
            return None;
        }
        let (h, i, k, r) = self.dims32();
        if !(self.one_pass_experts() && stages::router_topk_by_rank(r, k)) {
            return None;
        }
        let (n_gu, w_gu) = self.w_gate_up_router.single()?;
        let (n_down, w_down) = self.w_down.single()?;
        let (gu_kernel, gu_splits) = self.gemm_plan(t, n_gu, h);
        let (down_kernel, down_splits) = self.gemm_plan(t, n_down, i);
        let gu_split = stages::runs_split(gu_kernel, gu_splits);
        let fits = n_gu.is_multiple_of(4) && 2 * i <= n_gu;
        let skinny = matches!(down_kernel, GemmKernel::Skinny { .. });
        // The router and the skinny kernel read the gate/up products by rows: not the SIMT kernel's
        // (`stages::partials_permute`).
        let rows = !matches!(gu_kernel, GemmKernel::Simt { .. });
        let ranges = stages::split_ranges(gu_kernel, (t, n_gu, h), gu_splits);
        let cheap = act_bytes(t, n_down, i, ranges) < FUSED_MAX_ACT_BYTES;
        (gu_split && skinny && fits && rows && cheap).then_some(FusedPlan {
            gate_up: (w_gu, gu_kernel, n_gu, gu_splits),
            down: (w_down, down_kernel, down_splits),
        })
    }

    /// The first pass of the down projection of `act` alone where it runs split over K as one GEMM (the
    /// weight in one binding): its partial products in `partial`, for the expert stage to add. `None`,
    /// with nothing recorded, otherwise.
    pub(super) fn record_down_products<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t: u32,
        act: Bind<'a>,
        partial: &'a wgpu::Buffer,
    ) -> Option<stages::Partials<'a>> {
        let i = self.config.intermediate_size as u32;
        let (n, w) = self.w_down.single()?;
        let (kernel, splits) = self.gemm_plan(t, n, i);
        if !stages::runs_split(kernel, splits) {
            return None;
        }
        let shape = (t, n, i);
        let partial = stages::partial_bind(partial, kernel, shape, splits);
        let (label, w) = ("dense_down", Bind::all(w));
        Some(stages::split_k_products(
            rec, label, kernel, splits, shape, act, w, partial,
        ))
    }

    /// The fused chain of a chunk of `t` tokens as [`Self::fused_plan`] planned it: the gate/up GEMM leaves
    /// its partial products, which the router (its logits) and the down projection (the SwiGLU, made
    /// while staging) read directly, and the expert stage adds the down projection's partial products:
    /// three passes in a chain instead of five.
    pub(super) fn record_fused<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t: u32,
        plan: FusedPlan<'a>,
        chunk: Chunk<'a>,
        elem_output: bool,
        scratch: &'a Scratch,
    ) {
        let (h, i, k, r) = self.dims32();
        let ((w_gu, gu_kernel, n_gu, gu_splits), (w_down, down_kernel, down_splits)) =
            (plan.gate_up, plan.down);
        let gu_shape = (t, n_gu, h);
        let partial = stages::partial_bind(&scratch.partial[0], gu_kernel, gu_shape, gu_splits);
        let label = "dense_gate_up_router";
        let (x, w_gu) = (chunk.x, Bind::all(w_gu));
        let gu =
            stages::split_k_products(rec, label, gu_kernel, gu_splits, gu_shape, x, w_gu, partial);
        rec.readable_from_next(&scratch.partial[0]);
        let logits = stages::Logits::Partials {
            partials: gu,
            width: n_gu,
            first: 2 * i,
        };
        let normalise = Some((Bind::all(&self.mean), Bind::all(&self.var)));
        let (scores, indices) = (chunk.scores, chunk.indices);
        stages::router_topk(rec, (t, r, k), logits, scores, indices, normalise);
        let shape = (t, h, i);
        let partial = stages::partial_bind(&scratch.partial[1], down_kernel, shape, down_splits);
        let w = Bind::all(w_down);
        let label = "dense_down";
        let partials = stages::skinny_act_products(
            rec,
            label,
            down_kernel,
            down_splits,
            shape,
            gu,
            n_gu,
            w,
            partial,
        );
        let out = stages::ExpertOut::AddPartials {
            partials,
            y: chunk.y,
            elem: elem_output,
        };
        let (up, down) = (self.table(&self.up), self.table(&self.down));
        let dims = (t, h, k);
        stages::expert_token(rec, self.f16, dims, x, up, scores, indices, down, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn act_bytes_keep_the_readme_sizes_fused() {
        // H = 1024 (8 column workgroups), the gate/up GEMM in 2 ranges.
        assert_eq!(act_bytes(16, 1024, 4096, 2), 8 << 20);
        assert!(act_bytes(16, 1024, 4096, 2) < FUSED_MAX_ACT_BYTES);
        assert!(act_bytes(2, 1024, 16384, 2) < FUSED_MAX_ACT_BYTES);
        assert!(act_bytes(16, 1024, 8192, 2) >= FUSED_MAX_ACT_BYTES);
        // I = 16384 and 12288: the down projection on eight subgroups (4 column workgroups,
        // `stages::skinny_subgroups`).
        assert_eq!(act_bytes(9, 1024, 16384, 2), 9 << 20);
        assert!(act_bytes(9, 1024, 16384, 2) < FUSED_MAX_ACT_BYTES);
        assert!(act_bytes(16, 1024, 16384, 2) >= FUSED_MAX_ACT_BYTES);
        assert!(act_bytes(16, 1024, 12288, 2) < FUSED_MAX_ACT_BYTES);
        // A partial column workgroup counts whole.
        assert_eq!(act_bytes(1, 129, 1, 1), 2 * 8);
    }
}
