//! Where a forward runs, for the demo and `forward`: the GPU when asked for (or found), else the CPU
//! reference, with the result in one shape.

use omnimoe::gpu::{Context, ContextOptions, LayerOptions, OmniMoeLayer};
use omnimoe::{cpu, OmniMoeWeights, Result};

use crate::Device;

/// Output of one forward pass, whichever device ran it.
pub struct Routed {
    pub tokens: usize,
    pub output: Vec<f32>,
    pub scores: Vec<f32>,
    pub indices: Vec<u32>,
}

/// Opens the GPU for `device`: `None` means the CPU. `Auto` falls back to the CPU with a message when no
/// adapter exists; `Gpu` fails then.
pub fn open(device: Device) -> Result<Option<Context>> {
    open_with(device, &ContextOptions::default())
}

/// [`open`] with context options (the forward's `--max-binding-bytes`).
pub fn open_with(device: Device, options: &ContextOptions) -> Result<Option<Context>> {
    match device {
        Device::Cpu => Ok(None),
        Device::Gpu => Ok(Some(Context::with_options_blocking(options)?)),
        Device::Auto => match Context::with_options_blocking(options) {
            Ok(ctx) => Ok(Some(ctx)),
            Err(omnimoe::Error::NoAdapter(why)) => {
                eprintln!("No GPU adapter found{why}\nRunning on the CPU instead.");
                Ok(None)
            }
            Err(e) => Err(e),
        },
    }
}

/// Runs the layer on the GPU of `ctx`, or on the CPU.
pub fn forward_on(ctx: Option<&Context>, weights: &OmniMoeWeights, x: &[f32]) -> Result<Routed> {
    let Some(ctx) = ctx else {
        return cpu_forward(weights, x);
    };
    let layer = OmniMoeLayer::new(ctx, weights, &LayerOptions::default())?;
    let out = layer.forward_host_blocking(x)?;
    Ok(Routed {
        tokens: out.tokens,
        output: out.output,
        scores: out.scores,
        indices: out.indices,
    })
}

/// The CPU reference, as [`Routed`].
pub fn cpu_forward(weights: &OmniMoeWeights, x: &[f32]) -> Result<Routed> {
    Ok(cpu_forward_output(cpu::forward(weights, x)?))
}

/// Keeps what the command line reports of a CPU forward.
pub fn cpu_forward_output(out: cpu::ForwardOutput) -> Routed {
    Routed {
        tokens: out.tokens,
        output: out.output,
        scores: out.scores,
        indices: out.indices,
    }
}

/// Runs the layer with `routing` on the GPU of `ctx`, or on the CPU: the output and the pairs.
pub fn forward_routed_on(
    ctx: Option<&Context>,
    weights: &OmniMoeWeights,
    x: &[f32],
    routing: &omnimoe::routing::Routing,
) -> Result<(Vec<f32>, omnimoe::routing::Routed)> {
    let Some(ctx) = ctx else {
        let out = cpu::forward_routed(weights, x, routing)?;
        return Ok((out.output, out.routed));
    };
    let layer = OmniMoeLayer::new(ctx, weights, &LayerOptions::default())?;
    let out = layer.forward_routed_blocking(x, routing)?;
    Ok((out.output, out.routed))
}

/// Runs a dense-router MoE layer with `routing` (r = `alpha`) on the GPU of `ctx`, or on the CPU.
pub fn dense_moe_on(
    ctx: Option<&Context>,
    weights: &omnimoe::dense_moe::DenseMoeWeights,
    x: &[f32],
    routing: &omnimoe::routing::Routing,
    alpha: f32,
) -> Result<(Vec<f32>, omnimoe::routing::Routed)> {
    let Some(ctx) = ctx else {
        let out = cpu::dense_moe_forward(weights, x, routing, alpha)?;
        return Ok((out.output, out.routed));
    };
    let layer = omnimoe::gpu::dense_moe::DenseMoeLayer::new(ctx, weights)?;
    let out = layer.forward_blocking(x, routing, alpha)?;
    Ok((out.output, out.routed))
}
