//! The OmniMoE layer on the GPU: weights uploaded once, a forward pass recorded as one submission.
//!
//! Per chunk of tokens (all chunks in the same submission; weights stay resident):
//! gate/up gemm with SwiGLU and the router logits as extra columns → router_topk (with router_normalise
//! inside it where R ≤ 128, else before it) → [expert_histogram → expert_scan → expert_scatter] →
//! expert_scores → expert_combine → down gemm + expert branch.
//! The bracketed counting sort runs only for the expert-centric schedule; `Auto` picks the token-centric
//! one on every adapter measured so far (see [`ExpertSchedule::resolve`]), and up to
//! [`stages::EXPERT_TOKEN_MAX_T`] tokens its scores and combine are one pass (expert_token).
//! GEMMs: the GEMV up to [`GEMV_MAX_M`] tokens, the skinny tensor-core kernel up to
//! [`stages::SKINNY_MAX_M`] where it applies, split-K where [`stages::split_k`] says so, else the
//! configuration [`OmniMoeLayer::autotune`] chose on this adapter, if it ran.

use std::sync::Mutex;

use super::buffers::{self, elem_bytes, elem_size, Bind};
use super::context::{gpu_error, Context};
use super::footprint::{check_limits, footprint, Footprint};
use super::stages::{
    self, CoopConfig, Epilogue, GemmKernel, PassTimes, Recorder, ScatterScratch, ScoresSchedule,
    GEMV_MAX_M,
};
use super::tune::TuneEpilogue;
use crate::config::check_input;
use crate::{Error, OmniMoeConfig, OmniMoeWeights, Result};

/// Storage type of activations and weights on the GPU. Accumulation is always f32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// f32 everywhere.
    #[default]
    F32,
    /// f16 storage of x, weights and the dense intermediate (needs SHADER_F16); router and outputs in f32.
    F16,
}

/// How the expert scores walk the (token, expert) pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExpertSchedule {
    /// The layer chooses: see [`ExpertSchedule::resolve`].
    #[default]
    Auto,
    /// Pairs sorted by expert on the GPU; each expert's vector is fetched once for all its tokens.
    ExpertCentric,
    /// Each token fetches the vectors of its K experts (the PEER-style baseline).
    TokenCentric,
}

impl ExpertSchedule {
    /// The schedule `Auto` stands for on `ctx`.
    ///
    /// Measured so far (BENCHMARKS.md): on an H100 the token-centric schedule wins at every N from 1k to
    /// 256k and every T from 1 to 16k, because U and V stay in its 50 MB L2 or the gathers are served by
    /// it, while the expert-centric one pays for the sort and for its uneven work per expert; on lavapipe
    /// it wins too. Until an adapter and size are measured where the expert-centric schedule wins, `Auto`
    /// is token-centric everywhere; both stay tested and selectable.
    pub fn resolve(self, _ctx: &Context) -> ExpertSchedule {
        match self {
            ExpertSchedule::Auto => ExpertSchedule::TokenCentric,
            s => s,
        }
    }
}

/// Options of [`OmniMoeLayer::new`].
#[derive(Clone, Debug, Default)]
pub struct LayerOptions {
    /// Storage precision.
    pub precision: Precision,
    /// Expert schedule.
    pub schedule: ExpertSchedule,
    /// Upper bound on tokens per chunk (for tests of chunking); the adapter's limits bound it anyway.
    pub max_chunk_tokens: Option<usize>,
    /// Keep f16 GEMMs off the tensor cores even where cooperative matrices exist.
    pub no_cooperative_matrix: bool,
    /// Device memory the layer may take (weights and scratch): the token chunk shrinks to fit, and a layer
    /// whose weights and smallest chunk do not fit is refused with both sizes ([`Footprint`]).
    pub max_device_bytes: Option<u64>,
}

/// Largest N the GPU path takes: the router's grid side R = ⌊√N⌋ is at most 2048 (its sorts).
pub const MAX_EXPERTS: usize = 2049 * 2049 - 1;

/// Largest N of the expert-centric schedule (expert_scan's single-level bound).
pub const MAX_EXPERTS_EXPERT_CENTRIC: usize = stages::MAX_SCAN as usize;

/// Tokens per chunk are a multiple of this, so chunk offsets meet every binding alignment.
const CHUNK_ALIGN: usize = 128;

/// GPU buffers of one forward's results.
pub struct LayerOutput {
    /// T.
    pub tokens: usize,
    /// y `[T, H]` f32.
    pub output: wgpu::Buffer,
    /// Router scores `[T, K]` f32 (log-probabilities, descending).
    pub scores: wgpu::Buffer,
    /// Router indices `[T, K]` u32.
    pub indices: wgpu::Buffer,
}

/// Host copy of a forward's results.
#[derive(Clone, Debug, PartialEq)]
pub struct HostOutput {
    /// T.
    pub tokens: usize,
    /// y `[T, H]`.
    pub output: Vec<f32>,
    /// Router scores `[T, K]`.
    pub scores: Vec<f32>,
    /// Router indices `[T, K]`.
    pub indices: Vec<u32>,
}

pub(crate) struct Scratch {
    z: wgpu::Buffer,
    ell: wgpu::Buffer,
    h: wgpu::Buffer,
    sparse: wgpu::Buffer,
    act: wgpu::Buffer,
    count: wgpu::Buffer,
    offset: wgpu::Buffer,
    sums: wgpu::Buffer,
    scatter: ScatterScratch,
    /// Split-K partial products of the GEMMs of chunks of up to [`stages::SPLIT_K_MAX_M`] tokens.
    partial: wgpu::Buffer,
    /// Router scores and indices where the caller of [`OmniMoeLayer::encode`] keeps none.
    pub(crate) router_scores: wgpu::Buffer,
    pub(crate) router_indices: wgpu::Buffer,
}

/// One OmniMoE layer resident on a GPU.
pub struct OmniMoeLayer<'c> {
    ctx: &'c Context,
    config: OmniMoeConfig,
    f16: bool,
    gemm: GemmKernel,
    /// Few-token GEMMs the skinny kernel takes run on it ([`Self::uses_skinny`]).
    skinny: bool,
    schedule: ExpertSchedule,
    chunk: usize,
    mean: wgpu::Buffer,
    var: wgpu::Buffer,
    w_gate_up_router: wgpu::Buffer,
    w_down: wgpu::Buffer,
    /// U and V in one buffer each, or split by expert ranges of `table_per` ([`stages::Table`]).
    up: Vec<wgpu::Buffer>,
    down: Vec<wgpu::Buffer>,
    table_per: u32,
    scratch: Mutex<Option<(usize, std::sync::Arc<Scratch>)>>,
    footprint: Footprint,
}

impl<'c> OmniMoeLayer<'c> {
    /// Uploads `weights` once. Fails with [`Error::Limit`] when a weight exceeds the adapter's binding
    /// size (expert tables: several bindings, up to [`stages::MAX_TABLE_PARTS`]) or N exceeds
    /// [`MAX_EXPERTS`] ([`MAX_EXPERTS_EXPERT_CENTRIC`] for that schedule), and with [`Error::Config`]
    /// when f16 is asked for without SHADER_F16.
    pub fn new(ctx: &'c Context, weights: &OmniMoeWeights, options: &LayerOptions) -> Result<Self> {
        let c = weights.config;
        c.validate()?;
        let f16 = options.precision == Precision::F16;
        if f16 && !ctx.caps.shader_f16 {
            return Err(Error::Config {
                field: "precision",
                reason: format!("f16 needs SHADER_F16, which {} lacks", ctx.info.name),
            });
        }
        let schedule = options.schedule.resolve(ctx);
        let per = check_limits(ctx, &c, f16, schedule)?;
        let (h, i, n, r) = (c.hidden_size, c.intermediate_size, c.num_experts, c.grid());
        let plan = Self::plan_with(ctx, &c, f16, options)?;
        let chunk = plan.chunk_tokens;
        // Rows 2i and 2i+1: gate and up of unit i; then the router keys W_x and W_y, so one GEMM over x
        // yields the SwiGLU input and the router logits.
        let gate_up_router: Vec<f32> = (0..i)
            .flat_map(|row| {
                let g = &weights.gate_proj[row * h..][..h];
                let u = &weights.up_proj[row * h..][..h];
                g.iter().chain(u).copied()
            })
            .chain(weights.router_x.iter().chain(&weights.router_y).copied())
            .collect();
        let up = |label, v: &[f32]| buffers::upload(ctx, label, &elem_bytes(v, f16));
        let f32s = |label, v: &[f32]| buffers::upload(ctx, label, bytemuck::cast_slice(v));
        debug_assert_eq!(gate_up_router.len(), (2 * i + 2 * r) * h);
        let gemm = Self::gemm_kernel(ctx, &c, f16, options);
        let layer = OmniMoeLayer {
            ctx,
            config: c,
            f16,
            gemm,
            skinny: Self::uses_skinny(ctx, gemm),
            schedule,
            chunk,

            mean: f32s(
                "router mean",
                &[weights.norm_x_mean.as_slice(), &weights.norm_y_mean].concat(),
            ),
            var: f32s(
                "router var",
                &[weights.norm_x_var.as_slice(), &weights.norm_y_var].concat(),
            ),
            w_gate_up_router: up("gate/up/router", &gate_up_router),
            w_down: up("down", &weights.down_proj),
            up: weights
                .up_embed
                .chunks(per.min(n).max(1) * h)
                .map(|part| up("up_embed", part))
                .collect(),
            down: weights
                .down_embed
                .chunks(per.min(n).max(1) * h)
                .map(|part| up("down_embed", part))
                .collect(),
            table_per: per.min(n) as u32,
            scratch: Mutex::new(None),
            footprint: plan,
        };
        // An allocation the device could not make surfaces here: say what the layer needed.
        ctx.check_alive().map_err(|e| match e {
            Error::OutOfMemory(msg) => {
                Error::OutOfMemory(format!("{msg} (the layer needs {plan})"))
            }
            other => other,
        })?;
        Ok(layer)
    }

    /// The tensor-core GEMM where the adapter has cooperative matrices and its compiler takes the default
    /// configuration's variants for this layer's two GEMMs, else the SIMT kernel.
    fn gemm_kernel(
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
    fn uses_skinny(ctx: &Context, gemm: GemmKernel) -> bool {
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

    /// Largest chunk of tokens whose buffers all fit the adapter's binding size.
    fn chunk_tokens(
        ctx: &Context,
        c: &OmniMoeConfig,
        f16: bool,
        cap: Option<usize>,
    ) -> Result<usize> {
        let binding = ctx
            .limits
            .max_storage_buffer_binding_size
            .min(ctx.limits.max_buffer_size);
        let (h, i, k, r) = (
            c.hidden_size,
            c.intermediate_size,
            c.num_experts_per_token,
            c.grid(),
        );
        let es = elem_size(f16) as usize;
        let widest_row = [h * es, h * 4, i * es, 2 * r * 4, k * 4]
            .into_iter()
            .max()
            .unwrap() as u64;
        let by_binding = (binding / widest_row) as usize;
        let by_radix = (stages::MAX_SCAN as usize / 256) * 1024 / k;
        let groups = ctx
            .limits
            .max_compute_workgroups_per_dimension
            .clamp(1, stages::MAX_GROUPS);
        let by_grid = groups as usize * 128;
        let limit = by_binding
            .min(by_radix)
            .min(by_grid)
            .min(cap.unwrap_or(usize::MAX));
        let chunk = limit / CHUNK_ALIGN * CHUNK_ALIGN;
        if chunk == 0 {
            return Err(Error::Limit {
                what: format!("tokens per chunk (a row of {widest_row} bytes)"),
                needed: CHUNK_ALIGN as u64,
                allowed: limit as u64,
            });
        }
        Ok(chunk)
    }

    /// The layer's device memory by part, as planned before allocating.
    pub fn footprint(&self) -> Footprint {
        self.footprint
    }

    /// The footprint a layer of `config` would have on `ctx` with `options`, without allocating; fails as
    /// [`Self::new`] would when it cannot fit `max_device_bytes` or the adapter's bindings.
    pub fn plan(
        ctx: &Context,
        config: &OmniMoeConfig,
        options: &LayerOptions,
    ) -> Result<Footprint> {
        Self::plan_with(ctx, config, options.precision == Precision::F16, options)
    }

    /// The token chunk (bindings, then `max_device_bytes`) and the footprint with it.
    fn plan_with(
        ctx: &Context,
        c: &OmniMoeConfig,
        f16: bool,
        options: &LayerOptions,
    ) -> Result<Footprint> {
        let mut chunk = Self::chunk_tokens(ctx, c, f16, options.max_chunk_tokens)?;
        let mut plan = footprint(c, f16, chunk);
        if let Some(max) = options.max_device_bytes {
            let least =
                plan.weights + plan.scratch_fixed + plan.scratch_per_token * CHUNK_ALIGN as u64;
            if least > max {
                return Err(Error::Limit {
                    what: format!(
                        "device memory (max_device_bytes): weights {} B + scratch for {CHUNK_ALIGN} \
                         tokens {} B",
                        plan.weights,
                        least - plan.weights
                    ),
                    needed: least,
                    allowed: max,
                });
            }
            let room = (max - plan.weights - plan.scratch_fixed) / plan.scratch_per_token;
            chunk = chunk.min(room as usize / CHUNK_ALIGN * CHUNK_ALIGN);
            plan = footprint(c, f16, chunk);
        }
        Ok(plan)
    }

    /// Bindings each expert table (U, V) is split over: 1 where a table fits one storage binding.
    pub fn expert_table_parts(&self) -> usize {
        self.up.len()
    }

    /// An expert table as the expert stages bind it.
    fn table<'a>(&self, parts: &'a [wgpu::Buffer]) -> stages::Table<'a> {
        stages::Table {
            parts,
            per: self.table_per,
        }
    }

    /// The context the layer lives on.
    pub fn context(&self) -> &'c Context {
        self.ctx
    }

    /// The layer's config.
    pub fn config(&self) -> OmniMoeConfig {
        self.config
    }

    /// Whether weights and activations are stored as f16.
    pub fn is_f16(&self) -> bool {
        self.f16
    }

    /// The expert schedule in use.
    pub fn schedule(&self) -> ExpertSchedule {
        self.schedule
    }

    /// Whether the GEMMs run on cooperative matrices (tensor cores).
    pub fn uses_cooperative_matrix(&self) -> bool {
        matches!(self.gemm, GemmKernel::Coop(_))
    }

    /// The GEMM shapes (M, N, K) of a chunk of `tokens` tokens: gate/up with the router logits, down.
    fn gemm_shapes(&self, tokens: u32) -> [(u32, u32, u32); 2] {
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
    fn gemm_for(&self, m: u32, n: u32, k: u32) -> GemmKernel {
        let all = stages::skinny_env().0 == Some("all");
        if self.skinny && stages::skinny_prefers((m, n, k)) && (m > GEMV_MAX_M || all) {
            return GemmKernel::Skinny;
        }
        if m <= GEMV_MAX_M {
            return GemmKernel::Gemv { f16: self.f16 };
        }
        self.ctx
            .cache::<super::tune::Tuned>()
            .kernel(self.gemm, n, k)
    }

    /// Times the candidate K steps of this layer's three GEMM shapes on its adapter, for batches of
    /// `tokens` tokens (at most a chunk), and keeps the fastest for every later forward on the same context.
    pub async fn autotune(&self, tokens: usize) -> Result<Vec<super::tune::TuneResult>> {
        let m = tokens.clamp(1, self.chunk) as u32;
        let mut results = Vec::new();
        let epilogues = [TuneEpilogue::SwiGlu, TuneEpilogue::Add];
        for (shape, epilogue) in self.gemm_shapes(m).into_iter().zip(epilogues) {
            results.push(super::tune::tune_gemm(self.ctx, self.gemm, shape, epilogue).await?);
        }
        Ok(results)
    }

    /// Blocking [`Self::autotune`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn autotune_blocking(&self, tokens: usize) -> Result<Vec<super::tune::TuneResult>> {
        pollster::block_on(self.autotune(tokens))
    }

    /// Tokens per chunk.
    pub fn chunk_tokens_in_use(&self) -> usize {
        self.chunk
    }

    /// Uploads `x` `[T, H]` in the layer's storage type, after checking its shape and values.
    pub fn upload_input(&self, x: &[f32]) -> Result<(usize, wgpu::Buffer)> {
        let t = check_input(x, self.config.hidden_size)?;
        Ok((
            t,
            buffers::upload(self.ctx, "input", &elem_bytes(x, self.f16)),
        ))
    }

    /// Output buffers for `tokens` tokens.
    pub fn outputs(&self, tokens: usize) -> LayerOutput {
        let (h, k) = (
            self.config.hidden_size as u64,
            self.config.num_experts_per_token as u64,
        );
        let t = tokens as u64;
        LayerOutput {
            tokens,
            output: buffers::storage(self.ctx, "output", t * h * 4),
            scores: buffers::storage(self.ctx, "router scores", t * k * 4),
            indices: buffers::storage(self.ctx, "router indices", t * k * 4),
        }
    }

    pub(crate) fn scratch(&self, tokens: usize) -> std::sync::Arc<Scratch> {
        let mut guard = self.scratch.lock().unwrap();
        let want = tokens.min(self.chunk);
        let partial = self.split_k_partial_len(want);
        if let Some((have, s)) = guard.as_ref() {
            if *have >= want && s.partial.size() >= partial * 4 {
                return s.clone();
            }
        }
        let c = self.config;
        let (h, i, k, n, r) = (
            c.hidden_size,
            c.intermediate_size,
            c.num_experts_per_token,
            c.num_experts,
            c.grid(),
        );
        let t = want as u64;
        let es = elem_size(self.f16);
        let s = |label, bytes| buffers::storage(self.ctx, label, bytes);
        let scratch = std::sync::Arc::new(Scratch {
            z: s("router logits", t * 2 * r as u64 * 4),
            ell: s("router log-probs", t * 2 * r as u64 * 4),
            h: s("expert h", t * k as u64 * 4),
            sparse: s("expert branch", t * h as u64 * 4),
            act: s("swiglu", t * i as u64 * es),
            count: s("expert count", n as u64 * 4),
            offset: s("expert offset", (n as u64 + 1) * 4),
            sums: s("scan sums", 1024 * 4),
            scatter: ScatterScratch::new(self.ctx, (t * k as u64) as u32),
            partial: s("split-K partial products", partial * 4),
            router_scores: s("router scores", t * k as u64 * 4),
            router_indices: s("router indices", t * k as u64 * 4),
        });
        *guard = Some((want, scratch.clone()));
        scratch
    }

    /// f32 elements of split-K partial products a chunk of up to `tokens` tokens may need.
    ///
    /// The split count depends on m only through the rows of output tiles (tiles are 128 or 256 rows), so
    /// within a band of tile rows the partial products grow with m: the band ends (multiples of 128) and
    /// `tokens` itself are the only m to try. This runs on every plain forward, so it tries those few.
    fn split_k_partial_len(&self, tokens: usize) -> u64 {
        let most = tokens.min(stages::SPLIT_K_MAX_M as usize) as u32;
        // The skinny kernel's bands end at 16, 32 and 64 rows.
        (128..most)
            .step_by(128)
            .chain([16, 32, 64].into_iter().filter(|&m| m < most))
            .chain([most])
            .flat_map(|m| self.gemm_shapes(m))
            .map(|(m, n, k)| {
                let kernel = self.gemm_for(m, n, k);
                stages::split_k_partial_len(kernel, (m, n, k), stages::split_k(kernel, (m, n, k)))
            })
            .max()
            .unwrap_or(0)
    }

    /// One of the layer's GEMMs: split over K where [`stages::split_k`] says so (few tokens), else plain.
    #[allow(clippy::too_many_arguments)]
    fn record_gemm<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        label: &'static str,
        (m, n, k): (u32, u32, u32),
        a: Bind<'a>,
        b: Bind<'a>,
        c: Bind<'a>,
        epilogue: Epilogue<'a>,
        scratch: &'a Scratch,
    ) {
        let kernel = self.gemm_for(m, n, k);
        let splits = stages::split_k(kernel, (m, n, k));
        if splits > 1 || kernel == GemmKernel::Skinny {
            let len = stages::split_k_partial_len(kernel, (m, n, k), splits) * 4;
            let partial = Bind::range(&scratch.partial, 0, len);
            stages::gemm_split_k(
                rec,
                label,
                kernel,
                splits,
                (m, n, k),
                a,
                b,
                c,
                epilogue,
                partial,
            );
        } else {
            stages::gemm(rec, label, kernel, (m, n, k), a, b, c, epilogue);
        }
    }

    /// Records the forward of `out.tokens` tokens of `x` (elem `[T, H]`) into `out`; with `elem_output`
    /// the output is written in the storage type (the next layer's input) instead of f32.
    pub(crate) fn record<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        x: &'a wgpu::Buffer,
        out: &'a LayerOutput,
        scratch: &'a Scratch,
        elem_output: bool,
    ) {
        let c = self.config;
        let (h, i, k, r) = (
            c.hidden_size as u64,
            c.intermediate_size as u64,
            c.num_experts_per_token as u64,
            c.grid() as u64,
        );
        let es = elem_size(self.f16);
        let f16 = self.f16;
        let all = Bind::all;
        let mut t0 = 0u64;
        while t0 < out.tokens as u64 {
            let nt = (self.chunk as u64).min(out.tokens as u64 - t0);
            let pairs = nt * k;
            let x_c = Bind::range(x, t0 * h * es, nt * h * es);
            let ys = if elem_output { es } else { 4 };
            let y_c = Bind::range(&out.output, t0 * h * ys, nt * h * ys);
            let scores = Bind::range(&out.scores, t0 * k * 4, pairs * 4);
            let indices = Bind::range(&out.indices, t0 * k * 4, pairs * 4);
            let (t32, h32, k32, r32) = (nt as u32, h as u32, k as u32, r as u32);

            let z = Bind::range(&scratch.z, 0, nt * 2 * r * 4);
            let ell = Bind::range(&scratch.ell, 0, nt * 2 * r * 4);
            // Gate/up with SwiGLU, and the router logits from the same pass over x.
            let act = Bind::range(&scratch.act, 0, nt * i * es);
            let i2 = 2 * i as u32;
            self.record_gemm(
                rec,
                "dense_gate_up_router",
                (t32, i2 + 2 * r32, h32),
                x_c,
                all(&self.w_gate_up_router),
                act,
                Epilogue::SwiGlu {
                    router: Some((i2, z)),
                },
                scratch,
            );
            let (mean, var) = (all(&self.mean), all(&self.var));
            if stages::router_topk_by_rank(r32, k32) {
                let normalise = Some((mean, var));
                stages::router_topk(rec, (t32, r32, k32), z, scores, indices, normalise);
            } else {
                stages::router_normalise(rec, (t32, r32), z, mean, var, ell);
                stages::router_topk(rec, (t32, r32, k32), ell, scores, indices, None);
            }

            let sparse = Bind::range(&scratch.sparse, 0, nt * h * 4);
            let (up, down_embed) = (self.table(&self.up), self.table(&self.down));
            if self.schedule == ExpertSchedule::TokenCentric && t32 <= stages::EXPERT_TOKEN_MAX_T {
                let dims = (t32, h32, k32);
                stages::expert_token(rec, f16, dims, x_c, up, scores, indices, down_embed, sparse);
            } else {
                self.record_expert_passes(rec, (t32, r32, nt), x_c, scores, indices, scratch);
            }
            let down = all(&self.w_down);
            let epilogue = if elem_output {
                Epilogue::AddElem(sparse)
            } else {
                Epilogue::Add(sparse)
            };
            let shape = (t32, h32, i as u32);
            self.record_gemm(rec, "dense_down", shape, act, down, y_c, epilogue, scratch);
            t0 += nt;
        }
    }

    /// The expert stage as separate passes: the counting sort and expert-centric scores, or token-centric
    /// scores, then the combine into `scratch.sparse`.
    fn record_expert_passes<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        (t32, r32, nt): (u32, u32, u64),
        x_c: Bind<'a>,
        scores: Bind<'a>,
        indices: Bind<'a>,
        scratch: &'a Scratch,
    ) {
        let c = self.config;
        let (h, k, n) = (
            c.hidden_size as u32,
            c.num_experts_per_token as u32,
            c.num_experts as u32,
        );
        let pairs = nt * k as u64;
        let all = Bind::all;
        let h_buf = Bind::range(&scratch.h, 0, pairs * 4);
        let schedule = match self.schedule {
            ExpertSchedule::TokenCentric => ScoresSchedule::TokenCentric { indices },
            _ => {
                let p32 = pairs as u32;
                stages::expert_histogram(rec, (p32, n), indices, all(&scratch.count));
                let (count, offset, sums) = (
                    all(&scratch.count),
                    all(&scratch.offset),
                    all(&scratch.sums),
                );
                stages::expert_scan(rec, "expert_scan", n, count, offset, sums);
                let which =
                    stages::expert_scatter(rec, (p32, r32 * r32), indices, &scratch.scatter);
                let perm = Bind::range(&scratch.scatter.vals[which], 0, pairs * 4);
                ScoresSchedule::ExpertCentric { offset, perm }
            }
        };
        let dims = (t32, h, k, n);
        let up = self.table(&self.up);
        stages::expert_scores(rec, self.f16, dims, x_c, up, scores, h_buf, schedule);
        let sparse = Bind::range(&scratch.sparse, 0, nt * h as u64 * 4);
        let down = self.table(&self.down);
        stages::expert_combine(rec, self.f16, (t32, h, k), h_buf, indices, down, sparse);
    }

    /// Runs the layer on `x` (`[T, H]` in the layer's storage type, e.g. from [`Self::upload_input`]) into
    /// `out`, as one submission; with `timestamps` (and the feature) returns per-stage GPU times to read
    /// once it completes.
    pub async fn forward(
        &self,
        x: &wgpu::Buffer,
        out: &LayerOutput,
        timestamps: bool,
    ) -> Result<Option<PassTimes>> {
        self.ctx.check_alive()?;
        let needed = out.tokens as u64 * self.config.hidden_size as u64 * elem_size(self.f16);
        if x.size() < needed {
            return Err(Error::Shape {
                name: "input".into(),
                expected: vec![out.tokens, self.config.hidden_size],
                found: vec![(x.size() / elem_size(self.f16)) as usize],
            });
        }
        if out.tokens == 0 {
            return Ok(None);
        }
        let device = &self.ctx.device;
        let scopes = [
            device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
            device.push_error_scope(wgpu::ErrorFilter::Validation),
            device.push_error_scope(wgpu::ErrorFilter::Internal),
        ];
        let scratch = self.scratch(out.tokens);
        let mut rec = Recorder::new(self.ctx);
        self.record(&mut rec, x, out, &scratch, false);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("omnimoe forward"),
        });
        let times = rec.encode(&mut encoder, timestamps);
        self.ctx.queue.submit([encoder.finish()]);
        let mut first = None;
        for scope in scopes.into_iter().rev() {
            if let Some(e) = scope.pop().await {
                first.get_or_insert(gpu_error(e));
            }
        }
        match first {
            Some(e) => Err(e),
            None => {
                self.ctx.check_alive()?;
                Ok(times)
            }
        }
    }

    /// Host to host: uploads `x` `[T, H]`, runs the layer, reads back output, scores and indices.
    pub async fn forward_host(&self, x: &[f32]) -> Result<HostOutput> {
        let (t, input) = self.upload_input(x)?;
        let out = self.outputs(t);
        self.forward(&input, &out, false).await?;
        self.read(&out).await
    }

    /// Reads a forward's results back to the host.
    pub async fn read(&self, out: &LayerOutput) -> Result<HostOutput> {
        let (h, k) = (self.config.hidden_size, self.config.num_experts_per_token);
        let t = out.tokens;
        Ok(HostOutput {
            tokens: t,
            output: buffers::read_f32(self.ctx, &out.output, 0, t * h).await?,
            scores: buffers::read_f32(self.ctx, &out.scores, 0, t * k).await?,
            indices: buffers::read_u32(self.ctx, &out.indices, 0, t * k).await?,
        })
    }

    /// Blocking [`Self::forward_host`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn forward_host_blocking(&self, x: &[f32]) -> Result<HostOutput> {
        pollster::block_on(self.forward_host(x))
    }
}
