//! `omnimoe bench --layers L`: a stack of L layers prepared as one submit, each layer with weights of its
//! own, as in a model, where no layer finds its weights in the GPU's cache because the layer before it
//! read the same ones.

use omnimoe::gpu::{Context, ExpertSchedule, OmniMoeLayer, PreparedForward};
use omnimoe::rng::SplitMix64;
use omnimoe::{OmniMoeConfig, OmniMoeWeights, Result};

use super::measure::options;
use super::report::StackReport;
use super::BenchArgs;
use crate::timing::time_prepared;

/// L token-centric layers with distinct random weights, on one context.
pub(super) struct Stack<'c> {
    layers: Vec<OmniMoeLayer<'c>>,
    hidden: usize,
}

impl<'c> Stack<'c> {
    /// `layers` layers of `config`, weights from seeds 1..=L.
    pub(super) fn new(
        ctx: &'c Context,
        config: &OmniMoeConfig,
        args: &BenchArgs,
        layers: usize,
    ) -> Result<Self> {
        let opts = options(args.dtype, ExpertSchedule::TokenCentric);
        let layers = (1..=layers as u64)
            .map(|seed| OmniMoeLayer::new(ctx, &OmniMoeWeights::random(*config, seed)?, &opts))
            .collect::<Result<Vec<_>>>()?;
        Ok(Stack {
            layers,
            hidden: config.hidden_size,
        })
    }

    /// GPU and wall time of a forward of `tokens` tokens through the stack. Its GEMMs run the context's
    /// tuned choices: the bench times the stack after measuring one layer of the same shapes at the same
    /// T, whose autotune (unless `--no-autotune`) made them.
    pub(super) fn time(
        &self,
        ctx: &Context,
        args: &BenchArgs,
        tokens: usize,
    ) -> Result<StackReport> {
        let refs: Vec<&OmniMoeLayer> = self.layers.iter().collect();
        let stack = PreparedForward::stack(&refs, tokens)?;
        stack.write_input(&SplitMix64::new(2).normals(tokens * self.hidden))?;
        let t = time_prepared(ctx, &stack, tokens, args.warmup, args.runs)?;
        let layers = self.layers.len();
        Ok(StackReport {
            layers,
            gpu_ms: t.gpu_ms,
            wall_ms: t.wall_ms,
            gpu_ms_per_layer: t.gpu_ms / layers as f64,
            wall_ms_per_layer: t.wall_ms / layers as f64,
        })
    }
}
