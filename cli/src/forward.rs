//! `omnimoe forward`: safetensors in, safetensors out.

use std::path::PathBuf;

use clap::Args;
use omnimoe::io::{read_file, to_safetensors, write_file, TensorData, TensorFile};
use omnimoe::{LoadOptions, OmniMoeWeights, Result};

use crate::Device;

#[derive(Args)]
pub struct ForwardArgs {
    /// Layer weights (safetensors; F32, F16 or BF16): an OmniMoE layer (the authors' names), or a
    /// dense-router MoE layer with Hugging Face OLMoE names (`gate.weight`, `experts.{e}.gate_proj.weight`,
    /// …; needs --experts-per-token).
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
    /// Routing: token-choice (each token its K best: the layer as trained), unified (each routing group
    /// keeps its best round(budget · tokens) token–expert pairs: USMoE) or expert-choice (each expert its
    /// best `capacity` tokens of a group).
    #[arg(long, default_value = "token-choice")]
    routing: omnimoe::routing::RoutingMode,
    /// Experts per token on average (unified; expert choice's default capacity ⌈budget·tokens/N⌉).
    /// Default: K.
    #[arg(long)]
    budget: Option<f64>,
    /// Expert choice: tokens per expert per routing group.
    #[arg(long)]
    capacity: Option<usize>,
    /// Tokens per routing group; default: S of a [B, S, H] input (each sequence routes alone), all tokens
    /// of a [T, H] one.
    #[arg(long)]
    group_tokens: Option<usize>,
    /// Name of a padding mask in the input file ([B, S] or [T], integer or float; 0 = padding: no
    /// experts, outside every budget).
    #[arg(long)]
    mask_name: Option<String>,
    /// The unified score's r for a dense-router MoE file (U = (1−r)·softmax + r·sigmoid·2/E; USMoE's
    /// default 0.5). OmniMoE layers score by the product-key log-probabilities and take no r.
    #[arg(long)]
    alpha: Option<f32>,
    /// Run the experts over N adapters (cost-aware expert execution; token choice, GPU): the best N wgpu
    /// finds, or further devices of the best one; the experts split evenly.
    #[arg(long)]
    adapters: Option<usize>,
    /// With --adapters: keep at most S experts' rows on each adapter (an LRU cache, the rest in host
    /// memory).
    #[arg(long)]
    resident_experts: Option<usize>,
    /// With --adapters: prune pairs on the adapter predicted slowest so that each token keeps at least
    /// θ of its routing weight (and its top-1), the kept weights compensated; off by default.
    #[arg(long)]
    prune_theta: Option<f64>,
    /// With --adapters: the same as a budget δ on each token's removed weight (θ = 1 − δ).
    #[arg(long, conflicts_with = "prune_theta")]
    prune_budget: Option<f64>,
    /// Output file: `output` [T, H] f32, `router.scores` [T, M] f32, `router.indices` [T, M] i32 (M = K
    /// with token choice, else the most experts any token got, padded with 0 and −1).
    #[arg(long)]
    out: PathBuf,
}

/// The layer a weights file holds.
enum Layer {
    Omni(OmniMoeWeights),
    Dense(omnimoe::dense_moe::DenseMoeWeights),
}

impl Layer {
    /// An OmniMoE layer, or a dense-router MoE one where the file has OLMoE's `experts.0.gate_proj.weight`
    /// under the prefix (its k from `--experts-per-token`, which it needs).
    fn load(file: &TensorFile, args: &ForwardArgs) -> Result<Layer> {
        let dense_name = format!("{}{}", args.prefix, omnimoe::dense_moe::names::gate(0));
        if file.shape(&dense_name).is_ok() {
            let k = args.experts_per_token.ok_or(omnimoe::Error::Config {
                field: "experts_per_token",
                reason: "a dense-router MoE file needs --experts-per-token k".into(),
            })?;
            let w = omnimoe::dense_moe::DenseMoeWeights::from_file(file, &args.prefix, k)?;
            return Ok(Layer::Dense(w));
        }
        if args.alpha.is_some() {
            return Err(omnimoe::Error::Config {
                field: "alpha",
                reason:
                    "applies to dense-router MoE files; an OmniMoE layer scores by its product \
                         keys"
                        .into(),
            });
        }
        let options = LoadOptions {
            prefix: args.prefix.clone(),
            experts_per_token: args.experts_per_token,
        };
        Ok(Layer::Omni(OmniMoeWeights::from_file(file, &options)?))
    }

    /// (H, experts, k).
    fn shape(&self) -> (usize, usize, usize) {
        match self {
            Layer::Omni(w) => (
                w.config.hidden_size,
                w.config.num_experts,
                w.config.num_experts_per_token,
            ),
            Layer::Dense(w) => (w.config.hidden_size, w.config.num_experts, w.config.top_k),
        }
    }
}

pub fn run(args: &ForwardArgs) -> Result<()> {
    let weight_bytes = read_file(&args.weights)?;
    let layer = Layer::load(&TensorFile::parse(&weight_bytes)?, args)?;
    let (h, experts, k) = layer.shape();
    let input_bytes = read_file(&args.input)?;
    let input = TensorFile::parse(&input_bytes)?;
    let (t, x) = input.tokens(&args.input_name, h)?;
    let options = omnimoe::gpu::ContextOptions {
        max_binding_bytes: args.max_binding_bytes,
        ..Default::default()
    };
    let ctx = crate::run::open_with(args.device, &options)?;
    let shape = input.shape(&args.input_name)?;
    let routing = omnimoe::routing::Routing {
        mode: args.routing,
        budget: args.budget,
        capacity: args.capacity,
        group_tokens: args
            .group_tokens
            .or((shape.len() == 3).then_some(shape[1]).filter(|&s| s > 0)),
        mask: match &args.mask_name {
            Some(name) => Some(read_mask(&input, name, t)?),
            None => None,
        },
    };
    let plain = routing == omnimoe::routing::Routing::token_choice();
    let (output, routed) = match &layer {
        Layer::Dense(w) => {
            let alpha = args.alpha.unwrap_or(0.5);
            crate::run::dense_moe_on(ctx.as_ref(), w, &x, &routing, alpha)?
        }
        Layer::Omni(w) if plain && args.adapters.is_some() => {
            let n = args.adapters.unwrap_or(1);
            let theta = args.prune_theta.or(args.prune_budget.map(|d| 1.0 - d));
            let out = multi_adapter(w, &x, n, args.resident_experts, theta)?;
            let routed = omnimoe::routing::Routed::top_k(k, out.indices, out.scores);
            (out.output, routed)
        }
        Layer::Omni(w) if plain => {
            let out = crate::run::forward_on(ctx.as_ref(), w, &x)?;
            let routed = omnimoe::routing::Routed::top_k(k, out.indices, out.scores);
            (out.output, routed)
        }
        Layer::Omni(w) => crate::run::forward_routed_on(ctx.as_ref(), w, &x, &routing)?,
    };
    let (m, indices, scores) = routed.padded();
    let bytes = to_safetensors(
        &[
            ("output".into(), vec![t, h], TensorData::F32(&output)),
            ("router.scores".into(), vec![t, m], TensorData::F32(&scores)),
            (
                "router.indices".into(),
                vec![t, m],
                TensorData::I32(&indices),
            ),
        ],
        None,
    )?;
    write_file(&args.out, &bytes)?;
    println!("wrote {} ({t} tokens)", args.out.display());
    if !plain || matches!(layer, Layer::Dense(_)) {
        print_routing(&routed, experts, k);
    }
    Ok(())
}

/// The layer over `n` adapters (experts split evenly), optionally with resident experts and pruning at
/// retention `theta`; prints each adapter's expert-stage time, the critical adapter and the imbalance.
fn multi_adapter(
    w: &OmniMoeWeights,
    x: &[f32],
    n: usize,
    resident: Option<usize>,
    theta: Option<f64>,
) -> Result<omnimoe::gpu::multi_adapter::MultiOutput> {
    use omnimoe::caee::{CalibratedCost, Placement};
    use omnimoe::gpu::calibrate::{calibrate_blocking, CalibrateOptions};
    use omnimoe::gpu::multi_adapter::{contexts, MultiAdapterLayer, Prune};
    if let Some(bad) = theta.filter(|t| !(0.0..=1.0).contains(t)) {
        return Err(omnimoe::Error::Config {
            field: "prune_theta",
            reason: format!("{bad} is not a retention in 0..=1"),
        });
    }
    let ctxs = contexts(n)?;
    let refs: Vec<_> = ctxs.iter().collect();
    let placement = Placement::skewed(w.config.num_experts, n, 1.0 / n as f64)?;
    let layer = MultiAdapterLayer::new(&refs, w, placement, &Default::default(), resident)?;
    let k = w.config.num_experts_per_token as u32;
    let models = match theta {
        Some(_) => {
            let options = CalibrateOptions {
                hidden: w.config.hidden_size as u32,
                experts: (64 / k).max(1) * k,
                top_k: k,
                tokens_per_expert: vec![1, 2, 4, 8, 16],
                upload_batches: vec![],
                reps: 2,
            };
            ctxs.iter()
                .map(|c| calibrate_blocking(c, &options))
                .collect::<Result<Vec<_>>>()?
        }
        None => Vec::new(),
    };
    let cost = CalibratedCost {
        models: &models,
        f16: false,
    };
    let prune = theta.map(|t| Prune {
        max_removed: 1.0 - t,
        cost: &cost,
    });
    let out = layer.forward_blocking(x, prune.as_ref())?;
    for (a, c) in ctxs.iter().enumerate() {
        let r = out.residency[a];
        println!(
            "adapter {a}: {} — expert stage {:.4} ms, {} hits, {} misses",
            c.info.name, out.per_adapter_ms[a], r.hits, r.misses
        );
    }
    println!(
        "critical adapter {}, imbalance {:.2}, removed weight {:.4}",
        out.critical_adapter, out.imbalance, out.removed_weight
    );
    Ok(out)
}

/// The padding mask `name` of the input file: T values, nonzero (or true) where a token is routed.
fn read_mask(input: &TensorFile, name: &str, t: usize) -> Result<Vec<bool>> {
    let shape = input.shape(name)?;
    let values: Vec<bool> = match input.int(name) {
        Ok((_, v)) => v.iter().map(|&v| v != 0).collect(),
        Err(_) => input.f32(name)?.1.iter().map(|&v| v != 0.0).collect(),
    };
    if values.len() != t {
        return Err(omnimoe::Error::Shape {
            name: name.to_string(),
            expected: vec![t],
            found: shape,
        });
    }
    Ok(values)
}

/// The routing's telemetry, one line each.
fn print_routing(routed: &omnimoe::routing::Routed, experts: usize, k: usize) {
    let stats = routed.stats(experts, k);
    let t = routed.tokens().max(1);
    let (max, mean, idle) = stats.load_summary();
    println!(
        "routing: {} pairs, {:.3} experts per token, {:.3}× the expert FLOPs of top-{k}",
        stats.pairs,
        stats.pairs as f64 / t as f64,
        stats.expert_flops_vs_top_k
    );
    println!("starved tokens (no expert): {}", stats.starved_tokens);
    let hist: Vec<String> = stats
        .experts_per_token
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(j, n)| format!("{j}:{n}"))
        .collect();
    println!("experts per token (experts:tokens): {}", hist.join(" "));
    println!("expert load: max {max}, mean {mean:.3}, {idle} of {experts} experts unused");
}
