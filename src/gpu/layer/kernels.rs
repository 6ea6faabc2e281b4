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
        let simt = GemmKernel::simt(f16);
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
        if Self::compiles_for(ctx, c, coop) {
            coop
        } else {
            log::warn!(
                "{} does not compile the tensor-core GEMM: SIMT f16",
                ctx.info.name
            );
            simt
        }
    }

    /// `gemm` reading the dense weights in K slabs ([`stages::to_slabs`]) where it can: the SIMT kernel
    /// (and with it the GEMV) where H and I are multiples of 8; the tensor-core kernels read rows.
    /// On an H100 the SIMT GEMMs ran 1.5–3% faster with f32 storage, 5% with f16 (BENCHMARKS.md,
    /// "Weights by K slabs"). `OMNIMOE_NO_SLABS=1`, a measuring aid, keeps rows.
    pub(super) fn with_slabs(c: &OmniMoeConfig, gemm: GemmKernel) -> GemmKernel {
        let fits = [c.hidden_size, c.intermediate_size]
            .iter()
            .all(|&k| k.is_multiple_of(stages::SLAB_K));
        gemm.with_slabs(fits && !crate::gpu::measuring::env_set("OMNIMOE_NO_SLABS"))
    }

    /// The configuration of the layer's tensor-core kernel `gemm` for GEMMs of few rows when the autotune
    /// did not time them, for m's `class` of rows ([`row_class`](crate::gpu::tune::row_class)), where it
    /// fits and compiles (else `gemm`): up to 32 rows 32 × 64 tiles over 8 subgroups, at K step 64
    /// (two an SM) for a gate/up GEMM of more than a round of them (`few_rows::two_an_sm`), else at K
    /// step 128 (on an H100 at 32 rows the gate/up GEMM 13.6 → 12.5 µs, the down projection 9.5 → 8.2
    /// µs: `h100-run-code/run334.sh`); up to [`FEWEST_ROWS`](crate::gpu::tune::FEWEST_ROWS) rows 64 ×
    /// 64 tiles with K step 128 over 8 subgroups (a gate/up GEMM of more than a round of them at K step
    /// 64 with their staging in turns, two an SM), with their epilogue's staging in turns where the GEMM
    /// runs `beside_router` (the down projection: within
    /// [`BESIDE_ROUTER_BYTES`](crate::gpu::tune::BESIDE_ROUTER_BYTES) of workgroup memory; 10.7–11.1 →
    /// 9.5–9.7 µs at 32 and 64 rows, `h100-run-code/run280.sh`); above, 64 × 128 tiles with K step 64
    /// over 8 subgroups, else 4. On an H100 (BENCHMARKS.md): the 64 × 128 tiles took the gate/up GEMM at
    /// 64 and 128 rows from 0.029 to 0.023 ms and the down projection from 0.091 to 0.064 against 128 ×
    /// 128 tiles (`h100-run-decode3/run103.sh`); at 64 rows the 64 × 64 tiles, twice the workgroups and
    /// half the K steps, took the gate/up GEMM from 22.6 to 15.8 µs streaming its weights, the layer from
    /// 0.0475 to 0.041 ms, but at 128 rows they were slower (26.5 µs; `h100-run-early/run172.sh`); over 8
    /// subgroups 16.0 → 13.5 µs at 32 and 64 rows (`h100-run-code/run276.sh`).
    pub(super) fn few_rows_kernel(
        ctx: &Context,
        c: &OmniMoeConfig,
        gemm: GemmKernel,
        class: u8,
        beside_router: bool,
    ) -> GemmKernel {
        if !matches!(gemm, GemmKernel::Coop(_)) {
            return gemm;
        }
        let bytes = ctx.limits.max_compute_workgroup_storage_size;
        let (columns, depth) = if beside_router {
            (c.hidden_size, c.intermediate_size)
        } else {
            (c.gate_up_columns(), c.hidden_size)
        };
        few_rows::few_row_configs(class, beside_router, bytes, (columns as u32, depth as u32))
            .into_iter()
            .map(GemmKernel::Coop)
            .find(|&kernel| Self::compiles_for(ctx, c, kernel))
            .unwrap_or(gemm)
    }

    /// Whether the adapter's compiler takes every variant `kernel` runs this layer's two GEMMs with (always
    /// on the web, whose compiler reports errors only asynchronously).
    fn compiles_for(ctx: &Context, c: &OmniMoeConfig, kernel: GemmKernel) -> bool {
        let (h, i) = (c.hidden_size as u32, c.intermediate_size as u32);
        let uses = [
            stages::gemm_uses(
                &ctx.caps,
                kernel,
                (1, c.gate_up_columns() as u32, h),
                TuneEpilogue::SwiGlu.uses(),
            ),
            stages::gemm_uses(&ctx.caps, kernel, (1, h, i), TuneEpilogue::Add.uses()),
        ];
        #[cfg(not(target_arch = "wasm32"))]
        for (stage, variant) in uses.iter().flatten() {
            if !pollster::block_on(ctx.compiles(stage, "main", variant)) {
                return false;
            }
        }
        #[cfg(target_arch = "wasm32")]
        let _ = uses;
        true
    }

    /// The skinny tensor-core kernel, if it runs the GEMMs of [`stages::SKINNY_FROM_M`] to
    /// [`stages::SKINNY_PREFERRED_MAX_M`] tokens: with the tensor-core GEMM, where its workgroup memory
    /// fits the adapter's and the driver compiles its builds for that many rows (`OMNIMOE_SKINNY=off`
    /// keeps it off, for measuring). It asks
    /// for the STAGED build (where it applies: `stages::skinny_variant`) where the adapter has subgroup
    /// barriers for workgroup memory and compiles every build (`OMNIMOE_SKINNY_STAGED=off` keeps it
    /// off): on an H100 it took 16 tokens from 0.037–0.038 to 0.0344–0.0348 ms and 8 from 0.036 to
    /// 0.033–0.034 (BENCHMARKS.md, `h100-run-decode5/`); `alone` where its ~44 KiB builds fit and
    /// compile too ([`Self::gemm_for`] gives them to the gate/up GEMM).
    pub(super) fn skinny_kernel(ctx: &Context, gemm: GemmKernel) -> Option<GemmKernel> {
        let env = stages::skinny_env();
        if !matches!(gemm, GemmKernel::Coop(_)) || env.mode == Some("off") {
            return None;
        }
        let runs = |staged: bool, alone: bool| {
            stages::skinny_builds(&ctx.caps, staged, alone)
                .into_iter()
                .filter(|&(m, _)| m <= stages::SKINNY_PREFERRED_MAX_M)
                .all(|(m, variant)| {
                    let bytes = stages::skinny_workgroup_bytes(m, staged, alone);
                    let fits = bytes <= ctx.limits.max_compute_workgroup_storage_size;
                    #[cfg(not(target_arch = "wasm32"))]
                    let compiles =
                        fits && pollster::block_on(ctx.compiles("gemm_skinny", "main", &variant));
                    // (No compile probe on the web, where it cannot block.)
                    #[cfg(target_arch = "wasm32")]
                    let compiles = {
                        let _ = variant;
                        fits
                    };
                    compiles
                })
        };
        let staged = ctx.caps.subgroup_barrier && !env.no_staged && runs(true, false);
        let alone = staged && runs(true, true);
        (staged || runs(false, false)).then_some(GemmKernel::Skinny { staged, alone })
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

    /// Whether (·, n, k) is the shape of the gate/up GEMM (a block of it) and not of the down projection.
    fn is_gate_up(&self, n: u32, k: u32) -> bool {
        gate_up_shape(&self.config, (self.split.gate_up, self.split.down), n, k)
    }

    /// The kernel and K ranges of an (m, n, k) GEMM: [`Self::gemm_for`] split as [`stages::split_k`]
    /// says, unless the partial products would exceed a binding (tiny bindings, wide blocks): then the
    /// tuned kernel without a split.
    pub(super) fn gemm_plan(&self, m: u32, n: u32, k: u32) -> (GemmKernel, u32) {
        let kernel = self.gemm_for(m, n, k);
        match stages::split_within(kernel, (m, n, k), self.ctx.binding_bytes()) {
            Some((splits, _)) => (kernel, splits),
            None if matches!(kernel, GemmKernel::Skinny { .. }) => (self.tuned_kernel(m, n, k), 1),
            None => (kernel, 1),
        }
    }

    /// The GEMM kernel for `m` tokens of an (N, K) shape: the skinny tensor-core kernel from
    /// [`stages::SKINNY_FROM_M`] tokens (both GEMMs alike) where it runs and [`stages::skinny_prefers`]
    /// says so, else the
    /// weight-streaming GEMV up to [`GEMV_MAX_M`] tokens (decode: it reads each weight once, where a
    /// 128-row tile reads it for 128 rows it does not have; measured in BENCHMARKS.md), else the layer's
    /// kernel with the configuration the autotune chose on this adapter for m's class of rows.
    pub(super) fn gemm_for(&self, m: u32, n: u32, k: u32) -> GemmKernel {
        let all = stages::skinny_env().mode == Some("all");
        if let Some(GemmKernel::Skinny { staged, alone }) = self.skinny {
            if stages::skinny_prefers((m, n, k)) && (m >= stages::SKINNY_FROM_M || all) {
                // Its ~44 KiB builds for the gate/up GEMM, which runs beside nothing; the down
                // projection runs beside the router.
                let alone = alone && self.is_gate_up(n, k);
                return GemmKernel::Skinny { staged, alone };
            }
        }
        if m <= GEMV_MAX_M {
            return GemmKernel::Gemv {
                f16: self.f16,
                slabs: self.gemm.slabs(),
            };
        }
        self.tuned_kernel(m, n, k)
    }

    /// The layer's kernel for an (m, n, k) GEMM with the configuration the autotune chose for m's class of
    /// rows ([`crate::gpu::tune::row_class`]); untuned, the few-row defaults ([`Self::gemm_few`]) up to
    /// [`FEWEST_ROWS`](crate::gpu::tune::FEWEST_ROWS) rows and, up to
    /// [`FEW_ROWS`](crate::gpu::tune::FEW_ROWS), where the 128 × 128 tiles would be fewer than the
    /// workgroups split-K aims for; else the layer's default. On an H100 (`h100-run-decode3/run103.sh`)
    /// the 64-row tiles won both GEMMs at 64 and 128 rows and the down projection at 256, and lost the
    /// gate/up GEMM at 256 rows (130 square tiles: 0.041 against 0.031 ms); at 32 and 64 rows they won a
    /// wide gate/up GEMM too (I = 16384, 257 square tiles: 47.0 → 38.2 µs on 32-row tiles at 32 rows,
    /// the autotune's choice; `h100-run-code/run335.sh`). `OMNIMOE_FEW_TILE_GATE` / `_DOWN` (measuring
    /// aids) give their tile to a GEMM of more square tiles too.
    fn tuned_kernel(&self, m: u32, n: u32, k: u32) -> GemmKernel {
        let square_tiles = m.div_ceil(128) * n.div_ceil(128);
        let beside_router = !self.is_gate_up(n, k);
        // A measuring aid's few-row tile reaches every GEMM up to FEW_ROWS rows.
        let few = m <= crate::gpu::tune::FEWEST_ROWS
            || (m <= crate::gpu::tune::FEW_ROWS
                && (square_tiles < stages::SPLIT_K_WORKGROUPS || few_rows::forced(beside_router)));
        let fallback = if few {
            self.gemm_few[crate::gpu::tune::row_class(m) as usize][beside_router as usize]
        } else {
            self.gemm
        };
        self.ctx
            .cache::<crate::gpu::tune::Tuned>()
            .kernel(fallback, (m, n, k))
    }

    /// Times the candidate configurations of this layer's GEMM shapes on its adapter, for batches of
    /// `tokens` tokens (at most a chunk), and keeps the fastest for every later forward on the same context
    /// whose batch is of the same class of rows ([`crate::gpu::tune::row_class`]: up to 32, 64,
    /// 256, more); a server tunes once per class it runs. (Where the layer runs the skinny kernel or the GEMV,
    /// there is nothing to tune.) Up to 256 rows each candidate reads its weights from device memory, as
    /// a model's layers do: while it times them the autotune holds copies of each weight that add up to
    /// ~100 MB (`tune_gemm`).
    pub async fn autotune(&self, tokens: usize) -> Result<Vec<crate::gpu::tune::TuneResult>> {
        let mut results = Vec::new();
        for (epilogue, shape) in self.widest_gemms(tokens) {
            results.push(crate::gpu::tune::tune_gemm(self.ctx, self.gemm, shape, epilogue).await?);
        }
        Ok(results)
    }

    /// The gate/up GEMM (SwiGLU) and the down projection (ADD) of `tokens` tokens (at most a chunk), each
    /// on the widest block of its weight (the whole weight where it fits one binding): epilogue and (M,
    /// N, K).
    fn widest_gemms(&self, tokens: usize) -> [(TuneEpilogue, (u32, u32, u32)); 2] {
        let m = tokens.clamp(1, self.chunk) as u32;
        let c = self.config;
        let (h, i) = (c.hidden_size as u32, c.intermediate_size as u32);
        let widest = |rows: usize, per: usize| rows.min(per) as u32;
        [
            (
                TuneEpilogue::SwiGlu,
                (m, widest(c.gate_up_columns(), self.split.gate_up), h),
            ),
            (
                TuneEpilogue::Add,
                (m, widest(c.hidden_size, self.split.down), i),
            ),
        ]
    }

    /// Blocking [`Self::autotune`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn autotune_blocking(&self, tokens: usize) -> Result<Vec<crate::gpu::tune::TuneResult>> {
        pollster::block_on(self.autotune(tokens))
    }

    /// The gate/up GEMM and the down projection of a forward of `tokens` tokens (at most a chunk; the
    /// widest block of each weight) as the layer plans them: epilogue, (M, N, K), kernel and K ranges.
    /// What [`crate::gpu::weight_stream::stream_ms`] times.
    pub fn gemm_plans(&self, tokens: usize) -> [GemmPlan; 2] {
        self.widest_gemms(tokens).map(|(epilogue, shape)| {
            let (kernel, splits) = self.gemm_plan(shape.0, shape.1, shape.2);
            GemmPlan {
                epilogue,
                shape,
                kernel,
                splits,
            }
        })
    }
}

/// One of the layer's GEMMs as a forward runs it ([`OmniMoeLayer::gemm_plans`]).
#[derive(Clone, Copy, Debug)]
pub struct GemmPlan {
    /// Its epilogue (SwiGLU for gate/up, ADD for the down projection).
    pub epilogue: TuneEpilogue,
    /// (M, N, K).
    pub shape: (u32, u32, u32),
    /// The kernel and its configuration.
    pub kernel: GemmKernel,
    /// K ranges (1: not split; the skinny kernel always writes partial products).
    pub splits: u32,
}

/// Whether (·, n, k) is the shape of a block of the gate/up GEMM of a layer of `c` whose gate/up and down
/// weights are in blocks of `per` rows, and not of its down projection (a shape both could have is
/// neither's alone: false).
fn gate_up_shape(c: &OmniMoeConfig, (gate_up, down): (usize, usize), n: u32, k: u32) -> bool {
    let (h, i, r) = (c.hidden_size, c.intermediate_size, c.grid());
    let of = |rows: usize, per: usize, depth: usize| {
        k == depth as u32 && dense::block_widths(rows, per).any(|w| w == n)
    };
    of(2 * i + 2 * r, gate_up, h) && !of(h, down, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(h: usize, i: usize, n: usize) -> OmniMoeConfig {
        OmniMoeConfig::new(h, i, n, 16).unwrap()
    }

    #[test]
    fn the_gate_up_shape_is_told_from_the_down_projection() {
        // README sizes: gate/up (·, 2I + 2R, H), down (·, H, I), whole weights and in blocks.
        let c = config(1024, 4096, 4096);
        let whole = (usize::MAX, usize::MAX);
        assert!(gate_up_shape(&c, whole, 8320, 1024));
        assert!(!gate_up_shape(&c, whole, 1024, 4096));
        assert!(!gate_up_shape(&c, whole, 8320, 4096));
        assert!(!gate_up_shape(&c, whole, 4096, 1024));
        let blocks = (4096, 512);
        assert!(gate_up_shape(&c, blocks, 4096, 1024));
        assert!(gate_up_shape(&c, blocks, 128, 1024));
        assert!(!gate_up_shape(&c, blocks, 512, 4096));
        // H == I: the depths agree; blocks of the same width are either GEMM's, so neither's alone.
        let c = config(512, 512, 64);
        assert!(gate_up_shape(&c, whole, 2 * 512 + 2 * 8, 512));
        assert!(!gate_up_shape(&c, whole, 512, 512));
        assert!(!gate_up_shape(&c, (512, 512), 512, 512));
    }
}
