//! Which GEMM kernel runs each of the layer's GEMMs: the tensor-core kernel where the adapter and its
//! compiler take it, the skinny kernel and the GEMV for few tokens, the autotune's choices otherwise.

use super::*;

impl OmniMoeLayer<'_> {
    /// The tensor-core GEMM where the adapter has cooperative matrices and its compiler takes the default
    /// configuration's variants for this layer's two GEMMs, else the SIMT kernel.
    pub(super) fn gemm_kernel(
        ctx: &Context,
        c: &OmniMoeConfig,
        f16: bool,
        options: &LayerOptions,
    ) -> GemmKernel {
        let simt = GemmKernel::Simt {
            f16,
            k_step: 8,
            double_buffer: false,
        };
        if !f16 || !ctx.caps.cooperative_matrix || options.no_cooperative_matrix {
            return simt;
        }
        // The default configuration, or the first candidate that fits the adapter's workgroup memory.
        let fits = GemmKernel::Coop(CoopConfig::DEFAULT)
            .candidates(&ctx.caps, ctx.limits.max_compute_workgroup_storage_size);
        let Some(&coop) = fits
            .iter()
            .find(|&&k| k == GemmKernel::Coop(CoopConfig::DEFAULT))
            .or(fits.first())
        else {
            return simt;
        };
        let (h, i, r) = (
            c.hidden_size as u32,
            c.intermediate_size as u32,
            c.grid() as u32,
        );
        let uses = [
            stages::gemm_uses(
                &ctx.caps,
                coop,
                (1, 2 * i + 2 * r, h),
                TuneEpilogue::SwiGlu.uses(),
            ),
            stages::gemm_uses(&ctx.caps, coop, (1, h, i), TuneEpilogue::Add.uses()),
        ];
        #[cfg(not(target_arch = "wasm32"))]
        for (stage, variant) in uses.iter().flatten() {
            if !pollster::block_on(ctx.compiles(stage, "main", variant)) {
                log::warn!(
                    "{} does not compile the tensor-core GEMM: SIMT f16",
                    ctx.info.name
                );
                return simt;
            }
        }
        #[cfg(target_arch = "wasm32")]
        let _ = uses;
        coop
    }

    /// Whether the skinny tensor-core kernel runs the GEMMs of 9 to [`stages::SKINNY_MAX_M`] tokens: with
    /// the tensor-core GEMM, where its workgroup memory fits the adapter's and the driver compiles it
    /// (`OMNIMOE_SKINNY=off` keeps it off, for measuring).
    pub(super) fn uses_skinny(ctx: &Context, gemm: GemmKernel) -> bool {
        if !matches!(gemm, GemmKernel::Coop(_)) || stages::skinny_env().0 == Some("off") {
            return false;
        }
        [1, 17, 33].into_iter().all(|m| {
            let fits =
                stages::skinny_workgroup_bytes(m) <= ctx.limits.max_compute_workgroup_storage_size;
            #[cfg(not(target_arch = "wasm32"))]
            let compiles = fits
                && pollster::block_on(ctx.compiles(
                    "gemm_skinny",
                    "main",
                    &stages::skinny_variant(m),
                ));
            #[cfg(target_arch = "wasm32")]
            let compiles = fits;
            compiles
        })
    }

    /// The GEMM shapes (M, N, K) of a chunk of `tokens` tokens: gate/up with the router logits, down (of
    /// each width of their blocks of rows, where a weight is larger than a binding).
    pub(super) fn gemm_shapes(&self, tokens: u32) -> Vec<(u32, u32, u32)> {
        let c = self.config;
        let (h, i, r) = (c.hidden_size, c.intermediate_size, c.grid());
        let gate_up = dense::block_widths(2 * i + 2 * r, self.split.gate_up);
        let down = dense::block_widths(h, self.split.down);
        gate_up
            .map(|n| (tokens, n, h as u32))
            .chain(down.map(|n| (tokens, n, i as u32)))
            .collect()
    }

    /// The kernel and K ranges of an (m, n, k) GEMM: [`Self::gemm_for`] split as [`stages::split_k`]
    /// says, unless the partial products would exceed a binding (tiny bindings, wide blocks): then the
    /// tuned kernel without a split.
    pub(super) fn gemm_plan(&self, m: u32, n: u32, k: u32) -> (GemmKernel, u32) {
        let kernel = self.gemm_for(m, n, k);
        let splits = stages::split_k(kernel, (m, n, k));
        if splits == 1 && kernel != GemmKernel::Skinny {
            return (kernel, 1);
        }
        let bytes = stages::split_k_partial_len(kernel, (m, n, k), splits) * 4;
        if bytes <= self.ctx.binding_bytes() {
            return (kernel, splits);
        }
        let tuned = self.ctx.cache::<crate::gpu::tune::Tuned>();
        match kernel {
            GemmKernel::Skinny => (tuned.kernel(self.gemm, n, k), 1),
            other => (other, 1),
        }
    }

    /// The GEMM kernel for `m` tokens of an (N, K) shape: the weight-streaming GEMV up to
    /// [`GEMV_MAX_M`] tokens (decode: it reads each weight once, where a 128-row tile reads it for 128
    /// rows it does not have; measured in BENCHMARKS.md), the skinny tensor-core kernel above it where
    /// [`stages::skinny_prefers`] says so, else the layer's kernel with the configuration the autotune
    /// chose on this adapter.
    pub(super) fn gemm_for(&self, m: u32, n: u32, k: u32) -> GemmKernel {
        let all = stages::skinny_env().0 == Some("all");
        if self.skinny && stages::skinny_prefers((m, n, k)) && (m > GEMV_MAX_M || all) {
            return GemmKernel::Skinny;
        }
        if m <= GEMV_MAX_M {
            return GemmKernel::Gemv { f16: self.f16 };
        }
        self.ctx
            .cache::<crate::gpu::tune::Tuned>()
            .kernel(self.gemm, n, k)
    }

    /// Times the candidate K steps of this layer's three GEMM shapes on its adapter, for batches of
    /// `tokens` tokens (at most a chunk), and keeps the fastest for every later forward on the same context.
    pub async fn autotune(&self, tokens: usize) -> Result<Vec<crate::gpu::tune::TuneResult>> {
        let m = tokens.clamp(1, self.chunk) as u32;
        let mut results = Vec::new();
        let epilogues = [TuneEpilogue::SwiGlu, TuneEpilogue::Add];
        // The widest block of each weight (the whole weight where it fits one binding).
        let c = self.config;
        let (h, i) = (c.hidden_size as u32, c.intermediate_size as u32);
        let widest = |rows: usize, per: usize| rows.min(per) as u32;
        let shapes = [
            (
                m,
                widest(2 * c.intermediate_size + 2 * c.grid(), self.split.gate_up),
                h,
            ),
            (m, widest(c.hidden_size, self.split.down), i),
        ];
        for (shape, epilogue) in shapes.into_iter().zip(epilogues) {
            results.push(crate::gpu::tune::tune_gemm(self.ctx, self.gemm, shape, epilogue).await?);
        }
        Ok(results)
    }

    /// Blocking [`Self::autotune`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn autotune_blocking(&self, tokens: usize) -> Result<Vec<crate::gpu::tune::TuneResult>> {
        pollster::block_on(self.autotune(tokens))
    }
}
