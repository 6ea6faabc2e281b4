//! The OmniMoE layer on the GPU: weights uploaded once, a forward pass recorded as one submission.
//!
//! Per chunk of tokens (all chunks in the same submission; weights stay resident):
//! gate/up gemm with SwiGLU and the router logits as extra columns → router_topk (with router_normalise
//! inside it where R ≤ 128, else before it) ∥ down gemm → [expert_histogram → expert_scan →
//! expert_scatter] → expert_scores → expert_combine, which adds the expert branch to the down projection's
//! output. The down projection needs no barrier after the router (see
//! [`super::recorder::Recorder::readable_from_next`]), so on Vulkan the two run side by side.
//! Where the down projection is split over K, the one-pass expert stage adds its partial products itself
//! (no reduction pass); up to 16 tokens the gate/up GEMM's partial products also go straight to the router
//! and the down projection (`fused.rs`): three passes in a chain.
//! The bracketed counting sort runs only for the expert-centric schedule; `Auto` picks the token-centric
//! one on every adapter measured so far (see [`ExpertSchedule::resolve`]), and its scores and combine are
//! one pass (expert_token) where both expert tables fit one shader's bindings.
//! GEMMs: the skinny tensor-core kernel from [`stages::SKINNY_FROM_M`] (above the GEMV's 8 rows) to
//! [`stages::SKINNY_PREFERRED_MAX_M`] tokens where it applies, else the GEMV up to [`GEMV_MAX_M`] tokens,
//! split-K where [`stages::split_k`] says so, else the configuration [`OmniMoeLayer::autotune`] chose on
//! this adapter for that class of rows if it ran (tensor-core tiles of 32 × 64 up to 32 rows, 64 × 64 up
//! to 64, 64 × 128 up to 256, if not).

use std::sync::Mutex;

use super::buffers::{self, elem_bytes, elem_size, Bind};
use super::context::{Context, ErrorScopes};
use super::footprint::{check_limits, footprint, Footprint, Split};
use super::stages::{
    self, CoopConfig, Epilogue, GemmKernel, PassTimes, Recorder, ScatterScratch, ScoresSchedule,
    GEMV_MAX_M,
};
use super::tune::TuneEpilogue;
use crate::config::check_input;
use crate::{Error, OmniMoeConfig, OmniMoeWeights, Result};

mod decode;
mod dense;
mod few_rows;
mod fused;
mod kernels;
mod options;
mod plan;
mod record;
mod routed;

use decode::chain_sum_default;
pub(crate) use decode::{DecodeInput, DecodeTail};
use dense::RowBlocks;
use plan::chunk_align;

pub use kernels::GemmPlan;
pub use options::{
    ExpertSchedule, LayerOptions, Precision, MAX_EXPERTS, MAX_EXPERTS_EXPERT_CENTRIC,
};
pub(crate) use record::Scratch;
pub use routed::{PreparedRouted, RoutedHostOutput};

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

/// One OmniMoE layer resident on a GPU.
pub struct OmniMoeLayer<'c> {
    ctx: &'c Context,
    config: OmniMoeConfig,
    f16: bool,
    gemm: GemmKernel,
    /// Its configurations for GEMMs of few rows the autotune did not time ([`Self::few_rows_kernel`]), by
    /// class of rows ([`crate::gpu::tune::row_class`]: up to 32 rows, up to
    /// [`crate::gpu::tune::FEWEST_ROWS`], up to [`crate::gpu::tune::FEW_ROWS`]), for the gate/up GEMM and
    /// the down projection (beside the router).
    gemm_few: [[GemmKernel; 2]; 3],
    /// The skinny kernel as this layer runs it, where few-token GEMMs it takes run on it
    /// ([`Self::skinny_kernel`]).
    skinny: Option<GemmKernel>,
    schedule: ExpertSchedule,
    chunk: usize,
    mean: wgpu::Buffer,
    var: wgpu::Buffer,
    /// Gate/up rows interleaved, then the router keys; in blocks of rows where larger than a binding.
    w_gate_up_router: RowBlocks,
    w_down: RowBlocks,
    split: Split,
    /// U and V in one buffer each, or split by expert ranges of `table_per` ([`stages::Table`]).
    up: Vec<wgpu::Buffer>,
    down: Vec<wgpu::Buffer>,
    table_per: u32,
    /// False for a layer made by [`Self::without_experts`]: no expert tables, no expert stage.
    experts: bool,
    scratch: Mutex<Option<(usize, std::sync::Arc<Scratch>)>>,
    footprint: Footprint,
    /// Whether a chain's two parts are added in a pass of their own where the output must be whole
    /// ([`Self::set_chain_sum`]).
    chain_sum: std::sync::atomic::AtomicBool,
}

impl<'c> OmniMoeLayer<'c> {
    /// Uploads `weights` once: a weight larger than the adapter's binding size goes into several (expert
    /// tables by expert range, up to [`stages::MAX_TABLE_PARTS`]; dense weights by blocks of rows, one
    /// GEMM each). Fails with [`Error::Limit`] when a table needs more parts, a row (a gate/up pair) of a
    /// dense weight exceeds a binding, or N exceeds
    /// [`MAX_EXPERTS`] ([`MAX_EXPERTS_EXPERT_CENTRIC`] for that schedule), and with [`Error::Config`]
    /// when f16 is asked for without SHADER_F16.
    pub fn new(ctx: &'c Context, weights: &OmniMoeWeights, options: &LayerOptions) -> Result<Self> {
        let tables = Some((weights.up_embed.as_slice(), weights.down_embed.as_slice()));
        Self::with_tables(ctx, weights, tables, options)
    }

    /// [`Self::new`] with `weights`' expert tables, or (`None`) one-row zero placeholders and no expert
    /// stage ([`Self::without_experts`]).
    fn with_tables(
        ctx: &'c Context,
        weights: &OmniMoeWeights,
        tables: Option<(&[f32], &[f32])>,
        options: &LayerOptions,
    ) -> Result<Self> {
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
        let split = check_limits(ctx, &c, f16, schedule)?;
        let per = split.table;
        let (h, i) = (c.hidden_size, c.intermediate_size);
        let plan = Self::plan_with(ctx, &c, f16, options)?;
        let chunk = plan.chunk_tokens;
        // Rows 2i and 2i+1: gate and up of unit i; then the router keys W_x and W_y, so one GEMM over x
        // yields the SwiGLU input and the router logits.
        let gate_up_router: Vec<f32> = stages::swiglu_rows(&weights.gate_proj, &weights.up_proj, h)
            .chain(weights.router_x.iter().chain(&weights.router_y).copied())
            .collect();
        let up = |label, v: &[f32]| buffers::upload(ctx, label, &elem_bytes(v, f16));
        let f32s = |label, v: &[f32]| buffers::upload(ctx, label, bytemuck::cast_slice(v));
        debug_assert_eq!(gate_up_router.len(), c.gate_up_columns() * h);
        let gemm = Self::with_slabs(&c, Self::gemm_kernel(ctx, &c, f16, options));
        let placeholder = vec![0.0; h];
        let (up_table, down_table) = tables.unwrap_or((&placeholder, &placeholder));
        let layer = OmniMoeLayer {
            ctx,
            config: c,
            f16,
            gemm,
            gemm_few: [0, 1, 2].map(|class| {
                [false, true].map(|beside| Self::few_rows_kernel(ctx, &c, gemm, class, beside))
            }),
            skinny: Self::skinny_kernel(ctx, gemm),
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
            w_gate_up_router: RowBlocks::upload(
                ctx,
                "gate/up/router",
                &gate_up_router,
                h,
                split.gate_up,
                (f16, gemm.slabs()),
            ),
            w_down: RowBlocks::upload(
                ctx,
                "down",
                &weights.down_proj,
                i,
                split.down,
                (f16, gemm.slabs()),
            ),
            split,
            up: up_table
                .chunks(per * h)
                .map(|part| up("up_embed", part))
                .collect(),
            down: down_table
                .chunks(per * h)
                .map(|part| up("down_embed", part))
                .collect(),
            table_per: per as u32,
            experts: tables.is_some(),
            scratch: Mutex::new(None),
            chain_sum: chain_sum_default().into(),
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

    /// The dense MLP and the router of `weights` without its experts: no expert tables on the device
    /// (a one-row placeholder each) and no expert stage, so the output is the dense branch alone (its
    /// down GEMM adds a zero expert branch: the same bits as the dense part of the whole layer). For
    /// execution over several adapters, whose experts live elsewhere; routed forwards refuse it.
    pub(crate) fn without_experts(
        ctx: &'c Context,
        weights: &OmniMoeWeights,
        options: &LayerOptions,
    ) -> Result<Self> {
        Self::with_tables(ctx, weights, None, options)
    }

    /// Bindings each expert table (U, V) is split over: 1 where a table fits one storage binding.
    pub fn expert_table_parts(&self) -> usize {
        self.up.len()
    }

    /// GEMMs the gate/up/router and the down weights each run as per chunk: 1 where a weight fits one
    /// storage binding, else one per block of rows.
    pub fn dense_weight_blocks(&self) -> (usize, usize) {
        (self.w_gate_up_router.len(), self.w_down.len())
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
        let (h, es) = (self.config.hidden_size, elem_size(self.f16));
        buffers::check_rows("input", x, out.tokens, h, es)?;
        if out.tokens == 0 {
            return Ok(None);
        }
        let device = &self.ctx.device;
        let scopes = ErrorScopes::push(device);
        let scratch = self.scratch(out.tokens);
        let mut rec = Recorder::new(self.ctx);
        self.record(&mut rec, x, out, &scratch, false);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("omnimoe forward"),
        });
        let times = rec.encode(&mut encoder, timestamps);
        self.ctx.queue.submit([encoder.finish()]);
        scopes.pop().await?;
        self.ctx.check_alive()?;
        Ok(times)
    }

    /// Host to host: uploads `x` `[T, H]`, runs the layer, reads back output, scores and indices.
    pub async fn forward_host(&self, x: &[f32]) -> Result<HostOutput> {
        let (t, input) = self.upload_input(x)?;
        let out = self.outputs(t);
        self.forward(&input, &out, false).await?;
        self.read(&out).await
    }

    /// Reads a forward's results back to the host; fails with [`Error::Overflow`] where the output or the
    /// router scores are not finite (finite weights and input whose products overflow f32).
    pub async fn read(&self, out: &LayerOutput) -> Result<HostOutput> {
        let (h, k) = (self.config.hidden_size, self.config.num_experts_per_token);
        let t = out.tokens;
        let host = HostOutput {
            tokens: t,
            output: buffers::read_f32(self.ctx, &out.output, 0, t * h).await?,
            scores: buffers::read_f32(self.ctx, &out.scores, 0, t * k).await?,
            indices: buffers::read_u32(self.ctx, &out.indices, 0, t * k).await?,
        };
        // Finite weights and input can still overflow f32 (a weight of 1e38, say): a typed error, not NaN.
        crate::io::check_overflow("output", &host.output)?;
        crate::io::check_overflow("router.scores", &host.scores)?;
        Ok(host)
    }

    /// Blocking [`Self::forward_host`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn forward_host_blocking(&self, x: &[f32]) -> Result<HostOutput> {
        pollster::block_on(self.forward_host(x))
    }
}
