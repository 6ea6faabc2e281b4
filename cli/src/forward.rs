//! `omnimoe forward`: safetensors in, safetensors out.

use std::path::PathBuf;

use clap::Args;
use omnimoe::io::{read_file, to_safetensors, write_file, TensorData, TensorFile};
use omnimoe::{LoadOptions, OmniMoeWeights, Result};

use crate::Device;

#[derive(Args)]
pub struct ForwardArgs {
    /// Layer weights (safetensors; F32, F16 or BF16).
    #[arg(long)]
    weights: PathBuf,
    /// Input activations (safetensors), [T, H] or [B, S, H].
    #[arg(long)]
    input: PathBuf,
    /// Name of the input tensor.
    #[arg(long, default_value = "input")]
    input_name: String,
    /// Prefix of the weight names, e.g. `model.layers.3.mlp.`.
    #[arg(long, default_value = "")]
    prefix: String,
    /// K; required when the weights file has no metadata, overrides it otherwise.
    #[arg(long)]
    experts_per_token: Option<usize>,
    /// Where to run (auto: the GPU when there is one).
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    device: Device,
    /// Testing aid: plan the GPU layer with storage bindings of at most this many bytes, below the
    /// adapter's limit, so that expert tables split over several bindings, dense weights run as one GEMM
    /// per block of rows and tokens run in small chunks (the golden files match down to 65536).
    #[arg(long)]
    max_binding_bytes: Option<u64>,
    /// Output file: `output` [T, H] f32, `router.scores` [T, K] f32, `router.indices` [T, K] i32.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: &ForwardArgs) -> Result<()> {
    let options = LoadOptions {
        prefix: args.prefix.clone(),
        experts_per_token: args.experts_per_token,
    };
    let weights = OmniMoeWeights::load(&args.weights, &options)?;
    let input_bytes = read_file(&args.input)?;
    let input = TensorFile::parse(&input_bytes)?;
    let (t, x) = input.tokens(&args.input_name, weights.config.hidden_size)?;
    let options = omnimoe::gpu::ContextOptions {
        max_binding_bytes: args.max_binding_bytes,
        ..Default::default()
    };
    let ctx = crate::run::open_with(args.device, &options)?;
    let routed = crate::run::forward_on(ctx.as_ref(), &weights, &x)?;
    let (h, k) = (
        weights.config.hidden_size,
        weights.config.num_experts_per_token,
    );
    let indices: Vec<i32> = routed.indices.iter().map(|&i| i as i32).collect();
    let bytes = to_safetensors(
        &[
            ("output".into(), vec![t, h], TensorData::F32(&routed.output)),
            (
                "router.scores".into(),
                vec![t, k],
                TensorData::F32(&routed.scores),
            ),
            (
                "router.indices".into(),
                vec![t, k],
                TensorData::I32(&indices),
            ),
        ],
        None,
    )?;
    write_file(&args.out, &bytes)?;
    println!("wrote {} ({t} tokens)", args.out.display());
    Ok(())
}
