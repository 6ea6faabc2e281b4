//! A prepared forward: one layer, or a stack of layers each feeding the next, for up to a maximum number
//! of tokens, with its input, output and scratch buffers made once and, for each token count it runs, its
//! pipelines, parameter buffer and bind groups built once ([`Frozen`]). A forward is then one submit with
//! no allocation, of a command buffer encoded ahead while the GPU ran the one before ([`PreparedForward::run`]):
//! what decode (a few tokens at a time, over and over) needs.
//!
//! ```no_run
//! # use omnimoe::gpu::{Context, LayerOptions, OmniMoeLayer, Precision};
//! # use omnimoe::{OmniMoeConfig, OmniMoeWeights};
//! let ctx = Context::new_blocking()?;
//! let w = OmniMoeWeights::random(OmniMoeConfig::new(1024, 4096, 4096, 16)?, 7)?;
//! let options = LayerOptions { precision: Precision::F16, ..Default::default() };
//! let layer = OmniMoeLayer::new(&ctx, &w, &options)?;
//! let prepared = layer.prepare(64)?;
//! let t = prepared.write_input(&vec![0.1f32; 3 * 1024])?; // T = 3
//! prepared.run(t)?; // the output stays on the GPU: prepared.output()
//! let y = pollster::block_on(prepared.read(t))?;
//! # Ok::<(), omnimoe::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::buffers::{self, elem_bytes, elem_size};
use super::context::Context;
use super::layer::{DecodeInput, DecodeTail, HostOutput, LayerOutput, OmniMoeLayer, Scratch};
use super::recorder::{Frozen, PassTimes, Recorder, Timing};
use crate::{Error, Result};

/// One layer of a prepared stack: its input and its output (the next layer's input).
struct Link<'a> {
    layer: &'a OmniMoeLayer<'a>,
    input: wgpu::Buffer,
    out: LayerOutput,
    elem_output: bool,
}

/// A layer or a stack of layers ready to run on up to [`PreparedForward::max_tokens`] tokens.
pub struct PreparedForward<'a> {
    ctx: &'a Context,
    links: Vec<Link<'a>>,
    max_tokens: usize,
    /// Whether one-token forwards run the decode chain where the layers take it.
    decode_chain: bool,
    frozen: Mutex<HashMap<usize, Arc<Frozen>>>,
    /// For each token count [`Self::run`] has run, the next forward, encoded after its last submit (while
    /// the GPU ran it): what the next `run` of as many tokens submits without encoding.
    ahead: Mutex<HashMap<usize, wgpu::CommandBuffer>>,
}

/// Whether prepared forwards run the decode chain by default: yes, unless `OMNIMOE_NO_DECODE_CHAIN` is set
/// (a measuring aid, read once).
fn decode_chain_default() -> bool {
    !super::measuring::env_set("OMNIMOE_NO_DECODE_CHAIN")
}

impl<'c> OmniMoeLayer<'c> {
    /// Prepares this layer for forwards of up to `max_tokens` tokens (see [`PreparedForward`]).
    pub fn prepare(&self, max_tokens: usize) -> Result<PreparedForward<'_>> {
        PreparedForward::stack(&[self], max_tokens)
    }
}

impl<'a> PreparedForward<'a> {
    /// Prepares `layers` as a stack, layer l's output the input of layer l + 1, for up to `max_tokens`
    /// tokens. Between layers the activations stay in the storage type; the last output is f32. The layers
    /// must share the hidden size and the precision; the same layer may appear several times.
    pub fn stack(layers: &[&'a OmniMoeLayer<'a>], max_tokens: usize) -> Result<Self> {
        let first = *layers.first().ok_or(Error::Config {
            field: "layers",
            reason: "a prepared forward needs at least one layer".into(),
        })?;
        if max_tokens == 0 {
            return Err(Error::Config {
                field: "max_tokens",
                reason: "a prepared forward needs room for at least one token".into(),
            });
        }
        let ctx = first.context();
        let (h, f16) = (first.config().hidden_size, first.is_f16());
        if let Some(other) = layers
            .iter()
            .find(|l| l.config().hidden_size != h || l.is_f16() != f16)
        {
            return Err(Error::Config {
                field: "layers",
                reason: format!(
                    "a stack needs one hidden size and precision: H = {h} (f16: {f16}) and H = {} \
                     (f16: {})",
                    other.config().hidden_size,
                    other.is_f16()
                ),
            });
        }
        if layers.iter().any(|l| !std::ptr::eq(l.context(), ctx)) {
            return Err(Error::Config {
                field: "layers",
                reason: "the layers of a stack must live on one context".into(),
            });
        }
        let es = elem_size(f16);
        let widest = (max_tokens as u64).saturating_mul(h as u64 * 4);
        if widest > ctx.limits.max_buffer_size {
            return Err(Error::Limit {
                what: format!("output buffer of a prepared forward for {max_tokens} tokens"),
                needed: widest,
                allowed: ctx.limits.max_buffer_size,
            });
        }
        let mut input = buffers::storage(ctx, "prepared input", (max_tokens * h) as u64 * es);
        let mut links = Vec::with_capacity(layers.len());
        for (l, &layer) in layers.iter().enumerate() {
            let elem_output = l + 1 < layers.len();
            let k = layer.config().num_experts_per_token as u64;
            let t = max_tokens as u64;
            let out = LayerOutput {
                tokens: max_tokens,
                output: buffers::storage(
                    ctx,
                    "prepared output",
                    t * h as u64 * if elem_output { es } else { 4 },
                ),
                scores: buffers::storage(ctx, "router scores", t * k * 4),
                indices: buffers::storage(ctx, "router indices", t * k * 4),
            };
            let next = out.output.clone();
            links.push(Link {
                layer,
                input,
                out,
                elem_output,
            });
            // Scratch made now, not on the first run.
            layer.scratch(max_tokens);
            input = next;
        }
        ctx.check_alive()?;
        Ok(PreparedForward {
            ctx,
            links,
            max_tokens,
            decode_chain: decode_chain_default(),
            frozen: Mutex::new(HashMap::new()),
            ahead: Mutex::new(HashMap::new()),
        })
    }

    /// With `on` (the default), a one-token forward runs the decode chain in layers that take it
    /// ([`OmniMoeLayer::decode_chain`]): such a layer runs its router and expert stage beside its down
    /// projection and leaves its output in two parts, which the next layer adds as it reads them, or,
    /// where its output must be whole (the last layer), adds them in a pass of their own: two dependent
    /// passes a layer instead of three. The same bits either way.
    pub fn with_decode_chain(mut self, on: bool) -> Self {
        self.decode_chain = on;
        self.frozen.lock().unwrap().clear();
        self.ahead.lock().unwrap().clear();
        self
    }

    /// For each layer of a `tokens`-token forward, how it runs the decode chain (`None`: it does not).
    fn chain(&self, tokens: usize) -> Vec<Option<DecodeTail>> {
        let takes: Vec<bool> = self
            .links
            .iter()
            .map(|l| self.decode_chain && tokens == 1 && l.layer.decode_chain())
            .collect();
        (0..takes.len())
            .map(|l| {
                let parts_in = l > 0 && takes[l - 1];
                match (takes[l], takes.get(l + 1).copied().unwrap_or(false)) {
                    (false, _) => None,
                    (true, true) => Some(DecodeTail::Parts),
                    (true, false) if self.links[l].layer.chain_sum() => Some(DecodeTail::Sum),
                    (true, false) if parts_in => Some(DecodeTail::ThreePass),
                    (true, false) => None,
                }
            })
            .collect()
    }

    /// Layers of a `tokens`-token forward that run the decode chain (for tests that must know which path
    /// they checked).
    #[doc(hidden)]
    pub fn decode_chain_layers(&self, tokens: usize) -> usize {
        self.chain(tokens).iter().filter(|c| c.is_some()).count()
    }

    /// The most tokens a forward takes.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Layers in the stack.
    pub fn layers(&self) -> usize {
        self.links.len()
    }

    /// The input buffer, `[max_tokens, H]` in the storage type: write it (or copy into it) before a run.
    pub fn input(&self) -> &wgpu::Buffer {
        &self.links[0].input
    }

    /// The last layer's output buffers (room for `max_tokens`; a run of T tokens fills the first T rows):
    /// output `[T, H]` f32, router scores and indices `[T, K]`.
    pub fn output(&self) -> &LayerOutput {
        &self.links[self.links.len() - 1].out
    }

    /// Checks `x` (`[T, H]`, T ≤ `max_tokens`) and queues its upload into [`Self::input`]; returns T.
    pub fn write_input(&self, x: &[f32]) -> Result<usize> {
        let layer = self.links[0].layer;
        let t = crate::config::check_input(x, layer.config().hidden_size)?;
        self.check_tokens(t)?;
        let bytes = elem_bytes(x, layer.is_f16());
        self.ctx.queue.write_buffer(self.input(), 0, &bytes);
        Ok(t)
    }

    fn check_tokens(&self, tokens: usize) -> Result<()> {
        if tokens > self.max_tokens {
            return Err(Error::Limit {
                what: "tokens of a prepared forward".into(),
                needed: tokens as u64,
                allowed: self.max_tokens as u64,
            });
        }
        Ok(())
    }

    /// The frozen recording of a `tokens`-token forward, built on first use.
    fn frozen(&self, tokens: usize) -> Arc<Frozen> {
        if let Some(f) = self.frozen.lock().unwrap().get(&tokens) {
            return f.clone();
        }
        let views: Vec<LayerOutput> = self
            .links
            .iter()
            .map(|l| LayerOutput {
                tokens,
                output: l.out.output.clone(),
                scores: l.out.scores.clone(),
                indices: l.out.indices.clone(),
            })
            .collect();
        // The layers' scratch as of now: an autotune since `stack` may have changed what split-K needs.
        let scratches: Vec<Arc<Scratch>> = self
            .links
            .iter()
            .map(|l| l.layer.scratch(self.max_tokens))
            .collect();
        let mut rec = Recorder::new(self.ctx);
        let chain = self.chain(tokens);
        for (l, ((link, view), scratch)) in
            self.links.iter().zip(&views).zip(&scratches).enumerate()
        {
            let Some(tail) = chain[l] else {
                link.layer
                    .record(&mut rec, &link.input, view, scratch, link.elem_output);
                continue;
            };
            let input = match l {
                l if l > 0 && chain[l - 1] == Some(DecodeTail::Parts) => {
                    DecodeInput::Parts(&scratches[l - 1])
                }
                _ => DecodeInput::Buffer(&link.input),
            };
            link.layer
                .record_decode(&mut rec, input, view, scratch, link.elem_output, tail);
        }
        let frozen = Arc::new(rec.freeze());
        self.frozen.lock().unwrap().insert(tokens, frozen.clone());
        frozen
    }

    /// Records a forward of the first `tokens` rows of the input into `encoder` (the caller's: several
    /// prepared forwards and the application's own passes can share one submit), with the GPU timestamps
    /// `timing` asks for, readable once the submit completes.
    pub fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        tokens: usize,
        timing: Timing,
    ) -> Result<Option<PassTimes>> {
        self.check_tokens(tokens)?;
        if tokens == 0 {
            return Ok(None);
        }
        Ok(self.frozen(tokens).encode(self.ctx, encoder, timing))
    }

    /// One forward of `tokens` tokens: one submit; returns once it is queued (the output stays on the
    /// GPU). Device loss and errors outside scopes surface here or on the next call.
    ///
    /// The submit's command buffer was encoded by the previous `run` of as many tokens, after its own
    /// submit, while the GPU worked; this call encodes the next one likewise (one kept per token count).
    /// So a decode loop's host work between forwards is the submit alone (the first call of each token
    /// count encodes before submitting). A command buffer reads the buffers as they are when it runs, so inputs
    /// written in between ([`Self::write_input`], or the previous layer's output) are what it uses.
    pub fn run(&self, tokens: usize) -> Result<()> {
        self.ctx.check_alive()?;
        // (An out-of-range count has nothing ahead; encode_run refuses it.)
        let ready = self.ahead.lock().unwrap().remove(&tokens);
        let commands = match ready {
            Some(commands) => commands,
            None => self.encode_run(tokens)?,
        };
        self.ctx.queue.submit([commands]);
        let next = self.encode_run(tokens)?;
        self.ahead.lock().unwrap().insert(tokens, next);
        Ok(())
    }

    /// A `tokens`-token forward's command buffer, untimed.
    fn encode_run(&self, tokens: usize) -> Result<wgpu::CommandBuffer> {
        let mut encoder = self
            .ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("omnimoe prepared forward"),
            });
        self.encode(&mut encoder, tokens, Timing::Off)?;
        Ok(encoder.finish())
    }

    /// Reads the first `tokens` rows of the last layer's output, scores and indices back to the host.
    pub async fn read(&self, tokens: usize) -> Result<HostOutput> {
        self.check_tokens(tokens)?;
        let last = &self.links[self.links.len() - 1];
        let view = LayerOutput {
            tokens,
            output: last.out.output.clone(),
            scores: last.out.scores.clone(),
            indices: last.out.indices.clone(),
        };
        last.layer.read(&view).await
    }
}
