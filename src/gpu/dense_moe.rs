//! The dense-router MoE layer on the GPU ([`crate::dense_moe`]), with the routing modes of
//! [`crate::routing`]. Two submissions a forward:
//! 1. router GEMM `[T, E]` → the routing scores (`route_unified_score`: the softmax with r = 0, USMoE's
//!    score in unified mode) → the mode's selection (`RouteScratch`: unified top-c per group, per-row
//!    top-k as groups of one token, or expert choice) → the pairs read back;
//! 2. the host lays the pairs out by expert (each expert's rows a contiguous segment, segment starts
//!    aligned for binding offsets), then `moe_gather` copies the tokens' rows there, each expert with
//!    pairs runs its gate/up GEMM with the SwiGLU epilogue and its down GEMM on its segment, and
//!    `moe_combine` adds each token's experts' rows weighted by their scores, in the pairs' order.
//!
//! f32 throughout (the SIMT GEMM); every sum runs in a fixed order, so results are bitwise reproducible.
//! No token chunking: a forward's logits, rows and activations must each fit one storage binding.

use super::buffers::{self, elem_bytes, Bind};
use super::context::{Context, ErrorScopes};
use super::stages::{self, Columns, Epilogue, GemmKernel, Recorder, RouteScratch};
use crate::config::check_input;
use crate::dense_moe::{DenseMoeConfig, DenseMoeWeights};
use crate::routing::{Routed, Routing, RoutingMode};
use crate::{Error, Result};

/// A dense-router MoE layer resident on a GPU.
pub struct DenseMoeLayer<'c> {
    ctx: &'c Context,
    config: DenseMoeConfig,
    router: wgpu::Buffer,
    /// Per expert: gate/up rows interleaved `[2I, H]` (the SwiGLU epilogue's layout) and down `[H, I]`.
    experts: Vec<(wgpu::Buffer, wgpu::Buffer)>,
}

/// Host copy of a forward's results.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseMoeHostOutput {
    /// y `[T, H]`.
    pub output: Vec<f32>,
    /// The pairs each token got, best first; a pair's score is its weight.
    pub routed: Routed,
}

const SIMT: GemmKernel = GemmKernel::simt(false);

impl<'c> DenseMoeLayer<'c> {
    /// Uploads `weights` once (f32).
    pub fn new(ctx: &'c Context, weights: &DenseMoeWeights) -> Result<Self> {
        let c = weights.config;
        let (h, i, e) = (c.hidden_size, c.intermediate_size, c.num_experts);
        let binding = ctx.binding_bytes();
        for (what, bytes) in [
            ("gate.weight (the router)", (e * h * 4) as u64),
            ("an expert's gate_proj + up_proj", (2 * i * h * 4) as u64),
        ] {
            if bytes > binding {
                return Err(Error::Limit {
                    what: what.into(),
                    needed: bytes,
                    allowed: binding,
                });
            }
        }
        if e as u32 > stages::ROUTE_SELECT_MAX_M {
            return Err(Error::Limit {
                what: "num_experts of a dense router (candidates a token of the selection)".into(),
                needed: e as u64,
                allowed: stages::ROUTE_SELECT_MAX_M as u64,
            });
        }
        let up = |label, v: &[f32]| buffers::upload(ctx, label, &elem_bytes(v, false));
        let experts = (0..e)
            .map(|x| {
                let rows = x * i * h..(x + 1) * i * h;
                let (gate, up_rows) = (&weights.gate[rows.clone()], &weights.up[rows]);
                let gate_up: Vec<f32> = stages::swiglu_rows(gate, up_rows, h).collect();
                (
                    up("expert gate/up", &gate_up),
                    up("expert down", &weights.down[x * h * i..(x + 1) * h * i]),
                )
            })
            .collect();
        let layer = DenseMoeLayer {
            ctx,
            config: c,
            router: up("router", &weights.router),
            experts,
        };
        ctx.check_alive()?;
        Ok(layer)
    }

    /// The layer's config.
    pub fn config(&self) -> DenseMoeConfig {
        self.config
    }

    /// Runs the layer on `x` `[T, H]` with `routing` (r = `alpha` for the unified score).
    pub async fn forward(
        &self,
        x: &[f32],
        routing: &Routing,
        alpha: f32,
    ) -> Result<DenseMoeHostOutput> {
        let c = self.config;
        let (h, e) = (c.hidden_size, c.num_experts);
        let t = check_input(x, h)?;
        routing.validate(t)?;
        self.ctx.check_alive()?;
        // Token choice selects as unified routing over groups of one token.
        let selection = routing.as_selection(c.top_k);
        let s = selection.group_tokens.unwrap_or(t).max(1);
        let logits = (t * e * 4) as u64;
        if logits > self.ctx.binding_bytes() {
            return Err(Error::Limit {
                what: "router logits of a forward (no chunking in the dense-router MoE layer)"
                    .into(),
                needed: logits,
                allowed: self.ctx.binding_bytes(),
            });
        }
        if (s * e) as u64 > stages::ROUTE_MAX_GROUP_ELEMENTS {
            return Err(Error::Limit {
                what: format!("candidates of one routing group ({s} tokens of {e})"),
                needed: (s * e) as u64,
                allowed: stages::ROUTE_MAX_GROUP_ELEMENTS,
            });
        }
        if t == 0 {
            return Ok(DenseMoeHostOutput {
                output: Vec::new(),
                routed: Routed {
                    offsets: vec![0],
                    ..Default::default()
                },
            });
        }
        let xb = buffers::upload(self.ctx, "x", &elem_bytes(x, false));
        let routed = self
            .route(&xb, t, &selection, routing.score_r(alpha), s)
            .await?;
        let output = self.experts_and_combine(&xb, t, &routed).await?;
        crate::io::check_overflow("output", &output)?;
        Ok(DenseMoeHostOutput { output, routed })
    }

    /// Blocking [`Self::forward`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn forward_blocking(
        &self,
        x: &[f32],
        routing: &Routing,
        alpha: f32,
    ) -> Result<DenseMoeHostOutput> {
        pollster::block_on(self.forward(x, routing, alpha))
    }

    /// Submission 1: router GEMM, scores (the unified score's r: 0 gives the softmax), selection
    /// (unified or expert choice); the pairs read back.
    async fn route(
        &self,
        xb: &wgpu::Buffer,
        t: usize,
        routing: &Routing,
        r: f32,
        s: usize,
    ) -> Result<Routed> {
        let c = self.config;
        let (h, e, k) = (c.hidden_size, c.num_experts, c.top_k);
        let ctx = self.ctx;
        let store = |label, bytes: u64| buffers::storage(ctx, label, bytes.max(4));
        let (logits, scores) = (
            store("router logits", (t * e * 4) as u64),
            store("routing scores", (t * e * 4) as u64),
        );
        let experts: Vec<u32> = (0..t).flat_map(|_| 0..e as u32).collect();
        let eb = buffers::upload(ctx, "candidate experts", bytemuck::cast_slice(&experts));
        let valid: Vec<u32> = (0..t).map(|x| routing.routed(x) as u32).collect();
        let vb = buffers::upload(ctx, "routed tokens", bytemuck::cast_slice(&valid));
        let budgets = routing.group_budgets(0, t, k, e, e);
        let state = buffers::upload(
            ctx,
            "route state",
            bytemuck::cast_slice(&stages::route_state(&budgets)),
        );
        let expert_choice = routing.mode == RoutingMode::ExpertChoice;
        let max_pairs = stages::route_room(&budgets, t as u32, e as u32, expert_choice);
        let dims = (t as u32, e as u32, s as u32, e as u32);
        let scratch = RouteScratch::new(ctx, dims, max_pairs, expert_choice);
        let all = Bind::all;
        self.submit(|rec| {
            let shape = (t as u32, e as u32, h as u32);
            let (a, b, cl) = (all(xb), all(&self.router), all(&logits));
            stages::gemm(
                rec,
                "moe_router",
                SIMT,
                shape,
                a,
                b,
                cl,
                Epilogue::Store,
                Columns::ALL,
            );
            let te = (t as u32, e as u32);
            stages::route_unified_score(rec, te, r, all(&logits), all(&scores));
            scratch.record(rec, all(&scores), all(&eb), all(&vb), all(&state));
        })
        .await?;
        scratch.read(ctx).await
    }

    /// Submission 2: the pairs laid out by expert, each expert's SwiGLU MLP on its rows, the weighted
    /// combine per token.
    async fn experts_and_combine(
        &self,
        xb: &wgpu::Buffer,
        t: usize,
        routed: &Routed,
    ) -> Result<Vec<f32>> {
        let c = self.config;
        let (h, i, e) = (c.hidden_size, c.intermediate_size, c.num_experts);
        let ctx = self.ctx;
        let pairs = routed.experts.len();
        // Each expert's rows start where a binding offset may: a multiple of `align` rows.
        let align = buffers::aligned_rows(ctx, [h * 4, i * 4]);
        let mut count = vec![0usize; e];
        for &x in &routed.experts {
            count[x as usize] += 1;
        }
        let mut start = vec![0usize; e + 1];
        for x in 0..e {
            start[x + 1] = start[x] + count[x].next_multiple_of(align);
        }
        let rows = start[e].max(1);
        let mut fill = start.clone();
        let mut token = vec![0u32; pairs];
        let mut pos = vec![0u32; pairs];
        for tk in 0..t {
            for p in routed.range(tk) {
                let x = routed.experts[p] as usize;
                token[p] = tk as u32;
                pos[p] = fill[x] as u32;
                fill[x] += 1;
            }
        }
        let store = |label, bytes: u64| buffers::storage(ctx, label, bytes.max(4));
        let u32s = |label, v: &[u32]| buffers::upload(ctx, label, bytemuck::cast_slice(v));
        let binding = ctx.binding_bytes();
        for (what, bytes) in [
            ("gathered rows of a forward", (rows * h * 4) as u64),
            ("expert activations of a forward", (rows * i * 4) as u64),
        ] {
            if bytes > binding {
                return Err(Error::Limit {
                    what: format!("{what} (no chunking in the dense-router MoE layer)"),
                    needed: bytes,
                    allowed: binding,
                });
            }
        }
        let (xg, act, yg, y) = (
            store("gathered rows", (rows * h * 4) as u64),
            store("expert activations", (rows * i * 4) as u64),
            store("expert outputs", (rows * h * 4) as u64),
            store("output", (t * h * 4) as u64),
        );
        let (tb, pb) = (u32s("pair tokens", &token), u32s("pair rows", &pos));
        let ob = u32s("pair offsets", &routed.offsets);
        let wb = buffers::upload(ctx, "pair weights", bytemuck::cast_slice(&routed.scores));
        let all = Bind::all;
        self.submit(|rec| {
            let (p32, h32, i32_) = (pairs as u32, h as u32, i as u32);
            stages::moe_gather(rec, (p32, h32), all(xb), all(&tb), all(&pb), all(&xg));
            for (x, (gate_up, down)) in self.experts.iter().enumerate() {
                let m = count[x] as u64;
                if m == 0 {
                    continue;
                }
                let r0 = start[x] as u64;
                let rows_of = |b, w: u64| Bind::range(b, r0 * w * 4, m * w * 4);
                let (xs, acts, ys) = (
                    rows_of(&xg, h as u64),
                    rows_of(&act, i as u64),
                    rows_of(&yg, h as u64),
                );
                let swiglu = Epilogue::SwiGlu { router: None };
                let gu = (m as u32, 2 * i32_, h32);
                let label = "moe_expert_gate_up";
                stages::gemm(
                    rec,
                    label,
                    SIMT,
                    gu,
                    xs,
                    all(gate_up),
                    acts,
                    swiglu,
                    Columns::ALL,
                );
                let dn = (m as u32, h32, i32_);
                let label = "moe_expert_down";
                stages::gemm(
                    rec,
                    label,
                    SIMT,
                    dn,
                    acts,
                    all(down),
                    ys,
                    Epilogue::Store,
                    Columns::ALL,
                );
            }
            let th = (t as u32, h32);
            stages::moe_combine(rec, th, all(&yg), all(&ob), all(&wb), all(&pb), all(&y));
        })
        .await?;
        buffers::read_f32(ctx, &y, 0, t * h).await
    }

    /// Records with `record` and submits, within error scopes: a typed error, never a panic.
    async fn submit<'a>(&self, record: impl FnOnce(&mut Recorder<'a>)) -> Result<()>
    where
        'c: 'a,
    {
        let device = &self.ctx.device;
        let scopes = ErrorScopes::push(device);
        let mut rec = Recorder::new(self.ctx);
        record(&mut rec);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("omnimoe dense-router MoE"),
        });
        rec.encode(&mut encoder, false);
        self.ctx.queue.submit([encoder.finish()]);
        scopes.pop().await?;
        self.ctx.check_alive()
    }
}
