//! Recording a layer's forward into the caller's command encoder, on buffers the caller owns: how an
//! application or a model stacks several layers and its own passes in one submit with no read-back.

use super::buffers::{self, elem_size};
use super::layer::{LayerOutput, OmniMoeLayer};
use super::recorder::Recorder;
use crate::{Error, Result};

/// Where [`OmniMoeLayer::encode`] writes: buffers the caller owns, each with `STORAGE` usage, on the
/// layer's device.
#[derive(Clone, Copy, Debug)]
pub struct EncodeOutputs<'b> {
    /// y `[T, H]`: f32, or in the layer's storage type with `storage_type` (to feed the next layer).
    pub output: &'b wgpu::Buffer,
    /// Write y in the layer's storage type (f16 for an f16 layer) instead of f32.
    pub storage_type: bool,
    /// Router scores `[T, K]` f32 (log-probabilities, descending), or none to keep them in the layer's
    /// scratch.
    pub scores: Option<&'b wgpu::Buffer>,
    /// Router indices `[T, K]` u32, or none to keep them in the layer's scratch.
    pub indices: Option<&'b wgpu::Buffer>,
}

impl<'b> EncodeOutputs<'b> {
    /// y in f32 into `output`, the router's choices kept in the layer's scratch.
    pub fn output(output: &'b wgpu::Buffer) -> Self {
        EncodeOutputs {
            output,
            storage_type: false,
            scores: None,
            indices: None,
        }
    }
}

impl OmniMoeLayer<'_> {
    /// Records the forward of `tokens` tokens of `input` (`[T, H]` in the layer's storage type: f16 for an
    /// f16 layer, see [`Self::is_f16`]) into `encoder`, writing `outputs`. Nothing is submitted: the
    /// caller submits the encoder with its own passes, and may record further layers reading `outputs`
    /// first. Layers recorded into one encoder give the same bits as the same layers run one forward at a
    /// time.
    ///
    /// The same layer may be recorded several times into one encoder (its scratch is reused in order);
    /// router outputs left to the scratch are then the last recording's.
    ///
    /// Fails, before recording anything, when a buffer lacks `STORAGE` usage or is too small for
    /// `tokens` rows, naming it.
    ///
    /// ```no_run
    /// # use omnimoe::gpu::{Context, EncodeOutputs, LayerOptions, OmniMoeLayer};
    /// # use omnimoe::{OmniMoeConfig, OmniMoeWeights};
    /// let ctx = Context::new_blocking()?;
    /// let config = OmniMoeConfig::new(256, 512, 1024, 16)?;
    /// let (a, b) = (OmniMoeWeights::random(config, 1)?, OmniMoeWeights::random(config, 2)?);
    /// let (a, b) = (
    ///     OmniMoeLayer::new(&ctx, &a, &LayerOptions::default())?,
    ///     OmniMoeLayer::new(&ctx, &b, &LayerOptions::default())?,
    /// );
    /// let (t, x) = a.upload_input(&vec![0.5; 4 * 256])?;
    /// let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
    /// let buffer = |label| {
    ///     ctx.device.create_buffer(&wgpu::BufferDescriptor {
    ///         label: Some(label),
    ///         size: (t * 256 * 4) as u64,
    ///         usage: storage,
    ///         mapped_at_creation: false,
    ///     })
    /// };
    /// let (hidden, y) = (buffer("between the layers"), buffer("y"));
    /// let mut encoder = ctx.device.create_command_encoder(&Default::default());
    /// let between = EncodeOutputs { storage_type: true, ..EncodeOutputs::output(&hidden) };
    /// a.encode(&mut encoder, &x, t, between)?;
    /// b.encode(&mut encoder, &hidden, t, EncodeOutputs::output(&y))?;
    /// // ... the application's own passes reading `y` ...
    /// ctx.queue.submit([encoder.finish()]);
    /// # Ok::<(), omnimoe::Error>(())
    /// ```
    pub fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        input: &wgpu::Buffer,
        tokens: usize,
        outputs: EncodeOutputs<'_>,
    ) -> Result<()> {
        let ctx = self.context();
        ctx.check_alive()?;
        let c = self.config();
        let (h, k) = (c.hidden_size as u64, c.num_experts_per_token as u64);
        let (t, es) = (tokens as u64, elem_size(self.is_f16()));
        let ys = if outputs.storage_type { es } else { 4 };
        let check = |name: &str, buffer: &wgpu::Buffer, cols: u64, bytes: u64| {
            if !buffer.usage().contains(wgpu::BufferUsages::STORAGE) {
                return Err(Error::Config {
                    field: "encode buffers",
                    reason: format!("{name} lacks STORAGE usage"),
                });
            }
            buffers::check_rows(name, buffer, tokens, cols as usize, bytes)
        };
        check("input", input, h, es)?;
        check("output", outputs.output, h, ys)?;
        if let Some(scores) = outputs.scores {
            check("router scores", scores, k, 4)?;
        }
        if let Some(indices) = outputs.indices {
            check("router indices", indices, k, 4)?;
        }
        if tokens == 0 {
            return Ok(());
        }
        let scratch = self.scratch(tokens);
        // The scratch holds a chunk of tokens; more need buffers of their own.
        let router = |given: Option<&wgpu::Buffer>, kept: &wgpu::Buffer, label| match given {
            Some(b) => b.clone(),
            None if kept.size() >= t * k * 4 => kept.clone(),
            None => buffers::storage(ctx, label, t * k * 4),
        };
        let out = LayerOutput {
            tokens,
            output: outputs.output.clone(),
            scores: router(outputs.scores, &scratch.router_scores, "router scores"),
            indices: router(outputs.indices, &scratch.router_indices, "router indices"),
        };
        let mut rec = Recorder::new(ctx);
        self.record(&mut rec, input, &out, &scratch, outputs.storage_type);
        rec.encode(encoder, false);
        Ok(())
    }
}
