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
            .candidates(ctx.limits.max_compute_workgroup_storage_size);
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

    /// The GEMM shapes (M, N, K) of a chunk of `tokens` tokens: gate/up with the router logits, down.
    pub(super) fn gemm_shapes(&self, tokens: u32) -> [(u32, u32, u32); 2] {
        let c = self.config;
        let (h, i, r) = (
            c.hidden_size as u32,
            c.intermediate_size as u32,
            c.grid() as u32,
        );
        [(tokens, 2 * i + 2 * r, h), (tokens, h, i)]
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
        for (shape, epilogue) in self.gemm_shapes(m).into_iter().zip(epilogues) {
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
