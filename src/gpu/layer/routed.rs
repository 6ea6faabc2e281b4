//! A forward with a routing mode ([`crate::routing`]): the dense GEMMs as in a plain forward, every
//! product-key candidate of each token (`router_candidates`), unified routing's budgeted top-c per group
//! (`route_select`), and the ragged expert stage (0 .. K'² experts a token).

use super::super::recorder::Frozen;
use super::super::Timing;
use super::*;
use crate::routing::{Routed, Routing, RoutingMode};

/// Host copy of a routed forward's results.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutedHostOutput {
    /// T.
    pub tokens: usize,
    /// y `[T, H]`.
    pub output: Vec<f32>,
    /// The pairs each token got, best first.
    pub routed: Routed,
}

/// A routed forward of one input made once ([`OmniMoeLayer::prepare_routed`]).
pub struct PreparedRouted<'l, 'c> {
    layer: &'l OmniMoeLayer<'c>,
    tokens: usize,
    output: wgpu::Buffer,
    chunks: Vec<ChunkBuffers>,
    frozen: Frozen,
    _input: wgpu::Buffer,
    _scratch: std::sync::Arc<Scratch>,
}

impl PreparedRouted<'_, '_> {
    /// Queues the forward (the selection's state reset first); with `timing` (and the feature) the GPU
    /// times to read once it completes.
    pub fn run(&self, timing: Timing) -> Result<Option<PassTimes>> {
        let ctx = self.layer.ctx;
        ctx.check_alive()?;
        for b in &self.chunks {
            ctx.queue
                .write_buffer(&b.state, 0, bytemuck::cast_slice(&b.state_words));
        }
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("omnimoe routed forward"),
            });
        let times = self.frozen.encode(ctx, &mut encoder, timing);
        ctx.queue.submit([encoder.finish()]);
        Ok(times)
    }

    /// Reads the last run's output and pairs back to the host.
    pub async fn read(&self) -> Result<RoutedHostOutput> {
        let ctx = self.layer.ctx;
        let mut routed = Routed {
            offsets: vec![0],
            ..Default::default()
        };
        for b in &self.chunks {
            let chunk = b.route.read(ctx).await?;
            let base = routed.experts.len() as u32;
            routed
                .offsets
                .extend(chunk.offsets[1..].iter().map(|&o| base + o));
            routed.experts.extend(chunk.experts);
            routed.scores.extend(chunk.scores);
        }
        let h = self.layer.config.hidden_size;
        let output = buffers::read_f32(ctx, &self.output, 0, self.tokens * h).await?;
        crate::io::check_overflow("output", &output)?;
        Ok(RoutedHostOutput {
            tokens: self.tokens,
            output,
            routed,
        })
    }
}

/// The buffers of one chunk's selection.
struct ChunkBuffers {
    t0: usize,
    tokens: usize,
    /// The selection's starting state (`stages::route_state`), written before each run.
    state_words: Vec<u32>,
    cand_scores: wgpu::Buffer,
    cand_experts: wgpu::Buffer,
    valid: wgpu::Buffer,
    state: wgpu::Buffer,
    /// The selection's scratch and its outputs (offsets, pairs).
    route: stages::RouteScratch,
    h_pairs: wgpu::Buffer,
}

impl<'c> OmniMoeLayer<'c> {
    /// Host to host with `routing`: uploads `x` `[T, H]`, runs the layer and reads back the output and the
    /// pairs. Token choice without a mask is [`Self::forward_host`]; unified routing, expert choice (and
    /// token choice with a mask) select on the GPU from each token's K'² candidates (K'² ≤
    /// [`stages::ROUTE_MAX_CANDIDATES`]), in chunks of whole routing groups.
    pub async fn forward_routed(&self, x: &[f32], routing: &Routing) -> Result<RoutedHostOutput> {
        Ok(self.forward_routed_timed(x, routing, false).await?.0)
    }

    /// [`Self::forward_routed`] with, where `timestamps` and the adapter allow, each stage's GPU time (a
    /// compute pass per stage: `omnimoe routing-bench`).
    pub async fn forward_routed_timed(
        &self,
        x: &[f32],
        routing: &Routing,
        timestamps: bool,
    ) -> Result<(RoutedHostOutput, Option<PassTimes>)> {
        let c = self.config;
        let (h, k) = (c.hidden_size, c.num_experts_per_token);
        let t = check_input(x, h)?;
        routing.validate(t)?;
        if routing.mode == RoutingMode::TokenChoice && routing.mask.is_none() {
            // The plain forward: the layer's own router and expert stage.
            let (t, input) = self.upload_input(x)?;
            let out = self.outputs(t);
            let times = self.forward(&input, &out, timestamps).await?;
            let out = self.read(&out).await?;
            let routed = RoutedHostOutput {
                tokens: t,
                routed: Routed::top_k(k, out.indices, out.scores),
                output: out.output,
            };
            return Ok((routed, times));
        }
        self.ctx.check_alive()?;
        let scopes = ErrorScopes::push(&self.ctx.device);
        let prepared = self.prepare_routed(x, routing);
        let times = match &prepared {
            Ok(p) => p.run(if timestamps {
                Timing::PerStage
            } else {
                Timing::Off
            }),
            Err(_) => Ok(None),
        };
        scopes.pop().await?;
        let prepared = prepared?;
        let times = times?;
        self.ctx.check_alive()?;
        Ok((prepared.read().await?, times))
    }

    /// A routed forward of `x` made once: its buffers and its recording, to run again and again with no
    /// host work but resetting the selection's state ([`PreparedRouted::run`]). Every mode goes through
    /// the GPU's selection (token choice as groups of one token with budget K).
    pub fn prepare_routed<'l>(
        &'l self,
        x: &[f32],
        routing: &Routing,
    ) -> Result<PreparedRouted<'l, 'c>> {
        if !self.experts {
            return Err(Error::Config {
                field: "routing",
                reason: "this layer was made without its experts (a multi-adapter layer's first \
                         adapter); routed forwards need them"
                    .into(),
            });
        }
        let c = self.config;
        let (h, k) = (c.hidden_size, c.num_experts_per_token);
        let t = check_input(x, h)?;
        routing.validate(t)?;
        let routing = routing.as_selection(k);
        let m = (c.axis_k() * c.axis_k()) as u64;
        if m > stages::ROUTE_MAX_CANDIDATES as u64 {
            return Err(Error::Limit {
                what: format!(
                    "candidates per token (K'² with K' = min(R, K) = {}) for routing modes on the GPU",
                    c.axis_k()
                ),
                needed: m,
                allowed: stages::ROUTE_MAX_CANDIDATES as u64,
            });
        }
        let s = routing.group_tokens.unwrap_or(t).max(1);
        let chunk = self.routed_chunk(t, s, m)?;
        if routing.mode == RoutingMode::ExpertChoice {
            // The counting sort's buckets: (group, expert) of a chunk, and one for padding.
            let groups = chunk.min(t).div_ceil(s) as u32;
            let buckets = stages::expert_choice_buckets(groups, c.num_experts as u32);
            if buckets >= stages::MAX_SCAN as u64 || chunk as u64 * m > 4 * stages::MAX_SCAN as u64
            {
                return Err(Error::Limit {
                    what: format!(
                        "expert choice's buckets (routing groups in a chunk × {} experts)",
                        c.num_experts
                    ),
                    needed: buckets,
                    allowed: stages::MAX_SCAN as u64 - 1,
                });
            }
        }
        let (_, input) = self.upload_input(x)?;
        let output = buffers::storage(self.ctx, "output", (t * h) as u64 * 4);
        let chunks: Vec<ChunkBuffers> = (0..t)
            .step_by(chunk.max(1))
            .map(|t0| self.chunk_buffers(&routing, t0, (t - t0).min(chunk), m))
            .collect();
        let scratch = self.scratch(chunk.min(t));
        let mut rec = Recorder::new(self.ctx);
        for b in &chunks {
            self.record_routed(&mut rec, &input, &output, b, &scratch);
        }
        let frozen = rec.freeze();
        Ok(PreparedRouted {
            layer: self,
            tokens: t,
            output,
            chunks,
            frozen,
            _input: input,
            _scratch: scratch,
        })
    }

    /// Blocking [`Self::forward_routed`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn forward_routed_blocking(
        &self,
        x: &[f32],
        routing: &Routing,
    ) -> Result<RoutedHostOutput> {
        pollster::block_on(self.forward_routed(x, routing))
    }

    /// Tokens per chunk of a routed forward of `t` tokens in groups of `s`, `m` candidates a token: whole
    /// groups within the layer's chunk and a binding's worth of candidates.
    fn routed_chunk(&self, t: usize, s: usize, m: u64) -> Result<usize> {
        let by_binding = (self.ctx.binding_bytes() / (m * 4)) as usize;
        let limit = self.chunk.min(by_binding);
        if s as u64 * m > stages::ROUTE_MAX_GROUP_ELEMENTS {
            return Err(Error::Limit {
                what: format!("candidates of one routing group ({s} tokens of {m})"),
                needed: s as u64 * m,
                allowed: stages::ROUTE_MAX_GROUP_ELEMENTS,
            });
        }
        if t <= limit {
            return Ok(t);
        }
        let align = chunk_align(self.ctx, &self.config, self.f16);
        let step = s / buffers::gcd(s, align) * align;
        let chunk = limit / step * step;
        if chunk == 0 {
            return Err(Error::Limit {
                what: format!(
                    "tokens per routing group: a chunk of the layer holds {limit} tokens (routed in \
                     whole groups of {s}, offsets aligned to {align})"
                ),
                needed: step as u64,
                allowed: limit as u64,
            });
        }
        Ok(chunk)
    }

    /// The selection's buffers for tokens `t0 .. t0 + nt`, with each group's budget from the mask.
    fn chunk_buffers(&self, routing: &Routing, t0: usize, nt: usize, m: u64) -> ChunkBuffers {
        let k = self.config.num_experts_per_token;
        let s = routing.group_tokens.unwrap_or(nt).max(1);
        let group = s as u32;
        let expert_choice = routing.mode == RoutingMode::ExpertChoice;
        let n = self.config.num_experts;
        // Unified: each group's pair budget; expert choice: each expert's capacity in the group.
        let budgets = routing.group_budgets(t0, nt, k, n, m as usize);
        let pairs = stages::route_room(&budgets, nt as u32, m as u32, expert_choice);
        let valid: Vec<u32> = (t0..t0 + nt).map(|x| routing.routed(x) as u32).collect();
        let state_words = stages::route_state(&budgets);
        let u32s = |label, v: &[u32]| buffers::upload(self.ctx, label, bytemuck::cast_slice(v));
        let s = |label, bytes: u64| buffers::storage(self.ctx, label, bytes.max(4));
        let cand = nt as u64 * m * 4;
        ChunkBuffers {
            t0,
            tokens: nt,
            cand_scores: s("candidate scores", cand),
            cand_experts: s("candidate experts", cand),
            valid: u32s("routed tokens", &valid),
            state: u32s("route state", &state_words),
            state_words,
            route: stages::RouteScratch::new(
                self.ctx,
                (nt as u32, m as u32, group, n as u32),
                pairs,
                expert_choice,
            ),
            h_pairs: s("pair weights", pairs * 4),
        }
    }

    /// Records tokens `b.t0 .. b.t0 + b.tokens` of a routed forward.
    fn record_routed<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        x: &'a wgpu::Buffer,
        y: &'a wgpu::Buffer,
        b: &'a ChunkBuffers,
        scratch: &'a Scratch,
    ) {
        let c = self.config;
        let (h, i, r, k) = (
            c.hidden_size as u64,
            c.intermediate_size as u64,
            c.grid() as u64,
            c.num_experts_per_token as u32,
        );
        let (nt, es) = (b.tokens as u64, elem_size(self.f16));
        let (t0, t32) = (b.t0 as u64, nt as u32);
        let x_c = Bind::range(x, t0 * h * es, nt * h * es);
        let y_c = Bind::range(y, t0 * h * 4, nt * h * 4);
        let z = Bind::range(&scratch.z, 0, nt * 2 * r * 4);
        let ell = Bind::range(&scratch.ell, 0, nt * 2 * r * 4);
        let act = Bind::range(&scratch.act, 0, nt * i * es);
        self.record_gate_up(rec, t32, x_c, act, z, scratch);
        let all = Bind::all;
        let (mean, var) = (all(&self.mean), all(&self.var));
        let (scores, experts) = (all(&b.cand_scores), all(&b.cand_experts));
        let dims = (t32, r as u32, k);
        if stages::candidates_by_rank(r as u32, k) {
            let normalise = Some((mean, var));
            stages::router_candidates(rec, dims, z, scores, experts, normalise);
        } else {
            stages::router_normalise(rec, (t32, r as u32), z, mean, var, ell);
            stages::router_candidates(rec, dims, ell, scores, experts, None);
        }
        b.route
            .record(rec, scores, experts, all(&b.valid), all(&b.state));
        let sparse = Bind::range(&scratch.sparse, 0, nt * h * 4);
        let (up, down) = (self.table(&self.up), self.table(&self.down));
        let pairs = b.route.max_pairs() as u64 * 4;
        stages::expert_ragged(
            rec,
            self.f16,
            (t32, h as u32),
            x_c,
            up,
            down,
            all(b.route.offsets()),
            Bind::range(b.route.pairs().0, 0, pairs),
            Bind::range(b.route.pairs().1, 0, pairs),
            Bind::range(&b.h_pairs, 0, pairs),
            sparse,
            None,
        );
        let partial = &scratch.partial[1];
        self.record_down(rec, t32, act, y_c, Epilogue::Add(sparse), partial);
    }
}
