//! `omnimoe bench --layers L`: a stack of L layers prepared as one submit, each layer with weights of its
//! own, as in a model, where no layer finds its weights in the GPU's cache because the layer before it
//! read the same ones.

use omnimoe::gpu::{buffers, Context, ExpertSchedule, OmniMoeLayer, PreparedForward, Timing};
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
        if std::env::var_os("OMNIMOE_STACK_STAGES").is_some() {
            print_stack_stages(ctx, &stack, tokens, args.runs, layers)?;
        }
        Ok(StackReport {
            layers,
            gpu_ms: t.gpu_ms,
            wall_ms: t.wall_ms,
            gpu_ms_per_layer: t.gpu_ms / layers as f64,
            wall_ms_per_layer: t.wall_ms / layers as f64,
        })
    }
}

/// `OMNIMOE_STACK_STAGES` (a measuring aid): each stage of the stack timed in a pass of its own (so run
/// one after another, none beside another), the median over `runs` of its sum over the layers, per layer.
fn print_stack_stages(
    ctx: &Context,
    stack: &PreparedForward,
    tokens: usize,
    runs: usize,
    layers: usize,
) -> Result<()> {
    let mut per: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for _ in 0..runs.max(1) {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let times = stack.encode(&mut encoder, tokens, Timing::PerStage)?;
        ctx.queue.submit([encoder.finish()]);
        buffers::wait(ctx)?;
        let Some(times) = times else { return Ok(()) };
        let (passes, _) = pollster::block_on(times.read(ctx))?;
        let mut sums: std::collections::BTreeMap<&str, f64> = Default::default();
        for (label, ms) in passes {
            *sums.entry(label).or_default() += ms;
        }
        for (label, ms) in sums {
            per.entry(label).or_default().push(ms);
        }
    }
    for (label, mut v) in per {
        v.sort_by(f64::total_cmp);
        println!(
            "stack stage {label:<24} {:.4} ms per layer",
            v[v.len() / 2] / layers as f64
        );
    }
    Ok(())
}
