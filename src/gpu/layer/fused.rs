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

/// A chunk's per-token bindings.
pub(super) struct Chunk<'a> {
    pub x: Bind<'a>,
    pub y: Bind<'a>,
    pub scores: Bind<'a>,
    pub indices: Bind<'a>,
}

impl OmniMoeLayer<'_> {
    /// (H, I, K, R) of the layer.
    fn dims32(&self) -> (u32, u32, u32, u32) {
        let c = self.config;
        (
            c.hidden_size as u32,
            c.intermediate_size as u32,
            c.num_experts_per_token as u32,
            c.grid() as u32,
        )
    }

    /// Whether a forward of `tokens` tokens (a chunk's worth at most) runs the fused chain of
    /// [`Self::fused_plan`]: for tests that must know which path they checked.
    #[doc(hidden)]
    pub fn fused_chain(&self, tokens: usize) -> bool {
        self.fused_plan(tokens.clamp(1, self.chunk) as u32)
            .is_some()
    }

    /// Whether a chunk of `t` tokens runs the fused chain (gate/up products → router ∥ down projection
    /// from them → expert stage): up to [`FUSED_MAX_M`] tokens, the one-pass expert stage, the router by
    /// rank, each weight in one binding, the gate/up GEMM split over K and the down projection on the
    /// skinny kernel. Returns the gate/up GEMM's (N, ranges asked) and the down weight with its ranges
    /// asked.
    #[allow(clippy::type_complexity)]
    pub(super) fn fused_plan(&self, t: u32) -> Option<((u32, u32), (&wgpu::Buffer, u32))> {
        if t > FUSED_MAX_M {
            return None;
        }
        let (h, i, k, r) = self.dims32();
        let one_pass = self.schedule == ExpertSchedule::TokenCentric && self.split.expert_token;
        if !(self.experts && one_pass && stages::router_topk_by_rank(r, k)) {
            return None;
        }
        let (n_gu, _) = self.w_gate_up_router.single()?;
        let (n_down, w_down) = self.w_down.single()?;
        let (gu_kernel, gu_splits) = self.gemm_plan(t, n_gu, h);
        let (down_kernel, down_splits) = self.gemm_plan(t, n_down, i);
        let gu_split = gu_splits > 1 || gu_kernel == GemmKernel::Skinny;
        let skinny_down = down_kernel == GemmKernel::Skinny
            && self.ctx.caps.cooperative_matrix
            && stages::skinny_takes((t, n_down, i));
        let fits = n_gu.is_multiple_of(4) && 2 * i <= n_gu;
        (gu_split && skinny_down && fits).then_some(((n_gu, gu_splits), (w_down, down_splits)))
    }

    /// The gate/up GEMM's first pass alone, split as `(n, splits)` ([`Self::fused_plan`]): its partial
    /// products in the scratch, for the router and the down projection to read.
    pub(super) fn record_gate_up_products<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t: u32,
        x: Bind<'a>,
        (n, splits): (u32, u32),
        scratch: &'a Scratch,
    ) -> stages::Partials<'a> {
        let h = self.config.hidden_size as u32;
        let (kernel, _) = self.gemm_plan(t, n, h);
        let (_, w) = self
            .w_gate_up_router
            .single()
            .expect("the fused plan's weight");
        let len = stages::split_k_partial_len(kernel, (t, n, h), splits) * 4;
        let partial = Bind::range(&scratch.partial[0], 0, len);
        let label = "dense_gate_up_router";
        stages::split_k_products(
            rec,
            label,
            kernel,
            splits,
            (t, n, h),
            x,
            Bind::all(w),
            partial,
        )
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
        if splits == 1 && kernel != GemmKernel::Skinny {
            return None;
        }
        let len = stages::split_k_partial_len(kernel, (t, n, i), splits) * 4;
        let partial = Bind::range(partial, 0, len);
        let (label, w) = ("dense_down", Bind::all(w));
        let shape = (t, n, i);
        Some(stages::split_k_products(
            rec, label, kernel, splits, shape, act, w, partial,
        ))
    }

    /// The fused chain of a chunk of `t` tokens as [`Self::fused_plan`] planned it: the gate/up GEMM leaves
    /// its partial products, which the router (its logits) and the down projection (the SwiGLU, made
    /// while staging) read directly, and the expert stage adds the down projection's partial products:
    /// three passes in a chain instead of five.
    #[allow(clippy::type_complexity)]
    pub(super) fn record_fused<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        t: u32,
        (gate_up, (w_down, down_splits)): ((u32, u32), (&'a wgpu::Buffer, u32)),
        chunk: Chunk<'a>,
        elem_output: bool,
        scratch: &'a Scratch,
    ) {
        let (h, i, k, r) = self.dims32();
        let (n_gu, _) = gate_up;
        let gu = self.record_gate_up_products(rec, t, chunk.x, gate_up, scratch);
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
        let len = stages::split_k_partial_len(GemmKernel::Skinny, shape, down_splits) * 4;
        let partial = Bind::range(&scratch.partial[1], 0, len);
        let w = Bind::all(w_down);
        let label = "dense_down";
        let partials =
            stages::skinny_act_products(rec, label, down_splits, shape, gu, n_gu, w, partial);
        let out = stages::ExpertOut::AddPartials {
            partials,
            y: chunk.y,
            elem: elem_output,
        };
        let (up, down) = (self.table(&self.up), self.table(&self.down));
        let (x, dims) = (chunk.x, (t, h, k));
        stages::expert_token(rec, self.f16, dims, x, up, scores, indices, down, out);
    }
}
