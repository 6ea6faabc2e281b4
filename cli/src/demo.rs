//! The main job: a seeded random layer, one forward pass, throughput and routing statistics.

use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use omnimoe::rng::SplitMix64;
use omnimoe::{cpu, OmniMoeConfig, OmniMoeWeights, Result};

use crate::run::{forward_on, open, Routed};
use crate::Device;

#[derive(Args, Clone)]
pub struct DemoArgs {
    /// T: tokens [default: 4096; 256 on a software adapter]
    #[arg(long)]
    tokens: Option<usize>,
    #[command(flatten)]
    shape: crate::shape::LayerShape,
    /// Seed of the weights and the input.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to run.
    #[arg(long, value_enum, default_value_t = Device::Auto)]
    device: Device,
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} tokens ({elapsed})")
            .unwrap()
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Tokens of the GPU result checked against the CPU reference in the demo.
const SAMPLE: usize = 16;

/// Checks a spread sample of tokens of a GPU result against the CPU reference; prints the worst error.
fn check_sample(weights: &OmniMoeWeights, x: &[f32], routed: &Routed) -> Result<()> {
    let h = weights.config.hidden_size;
    let t = routed.tokens;
    let picks: Vec<usize> = (0..SAMPLE.min(t)).map(|i| i * t / SAMPLE.min(t)).collect();
    let xs: Vec<f32> = picks
        .iter()
        .flat_map(|&p| x[p * h..][..h].iter().copied())
        .collect();
    let reference = cpu::forward(weights, &xs)?;
    let mut worst = 0.0f32;
    for (row, &p) in picks.iter().enumerate() {
        for (a, b) in routed.output[p * h..][..h]
            .iter()
            .zip(&reference.output[row * h..][..h])
        {
            worst = worst.max((a - b).abs() / (1.0 + b.abs()));
        }
    }
    let ok = worst <= 1e-3;
    println!(
        "check: {} sampled tokens against the CPU reference, max |gpu − cpu| / (1 + |cpu|) = {worst:.2e} ({})",
        picks.len(),
        if ok { "ok" } else { "MISMATCH" }
    );
    if ok {
        Ok(())
    } else {
        Err(omnimoe::Error::Gpu(format!(
            "GPU result differs from the CPU reference by {worst:.2e}"
        )))
    }
}

pub fn run(args: &DemoArgs) -> Result<()> {
    let config = args.shape.config()?;
    let ctx = open(args.device)?;
    if let Some(ctx) = &ctx {
        println!(
            "GPU: {} ({:?}, {:?})",
            ctx.info.name, ctx.info.backend, ctx.info.device_type
        );
    }
    let software = ctx
        .as_ref()
        .is_some_and(|c| c.info.device_type == wgpu::DeviceType::Cpu);
    let tokens = args.tokens.unwrap_or(if software { 256 } else { 4096 });
    if software && args.tokens.is_none() {
        println!("(a software adapter: T = {tokens} keeps the demo short; --tokens sets it)");
    }
    println!(
        "OmniMoE layer: H={} I={} N={} (R={}) K={}, T={} tokens, seed {}",
        config.hidden_size,
        config.intermediate_size,
        config.num_experts,
        config.grid(),
        config.num_experts_per_token,
        tokens,
        args.seed
    );
    let start = Instant::now();
    let weights = OmniMoeWeights::random(config, args.seed)?;
    let x = SplitMix64::new(args.seed ^ 0x5eed).normals(tokens * config.hidden_size);
    println!(
        "random weights and input in {:.2} s",
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let on_gpu = ctx.is_some();
    let routed = match &ctx {
        None => {
            let bar = progress_bar(tokens as u64, "cpu");
            let out = cpu::forward_with_progress(&weights, &x, &mut |done, _| {
                bar.set_position(done as u64)
            })?;
            bar.finish_and_clear();
            crate::run::cpu_forward_output(out)
        }
        Some(ctx) => forward_on(Some(ctx), &weights, &x)?,
    };
    let secs = start.elapsed().as_secs_f64();
    let flops = layer_flops(&config, tokens);
    println!(
        "forward on the {}{}: {:.3} s, {:.0} tokens/s, {:.1} GFLOP/s",
        if on_gpu { "GPU" } else { "CPU" },
        if on_gpu {
            " (incl. upload, pipeline builds, read-back)"
        } else {
            ""
        },
        secs,
        tokens as f64 / secs,
        flops / secs / 1e9
    );
    print_routing(&config, &routed);
    if on_gpu {
        check_sample(&weights, &x, &routed)?;
    }
    Ok(())
}

/// Multiply-adds ×2 of one forward: dense 3·H·I, router 2R·H, experts 2·K·H per token.
pub fn layer_flops(c: &OmniMoeConfig, tokens: usize) -> f64 {
    let (h, i, k, r) = (
        c.hidden_size as f64,
        c.intermediate_size as f64,
        c.num_experts_per_token as f64,
        c.grid() as f64,
    );
    2.0 * tokens as f64 * (3.0 * h * i + 2.0 * r * h + 2.0 * k * h)
}

fn print_routing(c: &OmniMoeConfig, routed: &Routed) {
    let mut load = vec![0usize; c.num_experts];
    for &e in &routed.indices {
        load[e as usize] += 1;
    }
    let used = load.iter().filter(|&&l| l > 0).count();
    let max = load.iter().copied().max().unwrap_or(0);
    let pairs = routed.tokens * c.num_experts_per_token;
    let reachable = c.grid() * c.grid();
    println!(
        "routing: {used} of {reachable} reachable experts used; tokens per expert: max {max}, mean {:.2} \
         (over used experts {:.2})",
        pairs as f64 / reachable as f64,
        pairs as f64 / used.max(1) as f64
    );
    // Histogram of the load of reachable experts, in 10 buckets of equal width up to the max.
    let buckets = 10usize;
    let width = max.div_ceil(buckets).max(1);
    let mut hist = vec![0usize; buckets + 1];
    for &l in &load[..reachable] {
        hist[if l == 0 { 0 } else { 1 + (l - 1) / width }] += 1;
    }
    let top = hist.iter().copied().max().unwrap_or(1).max(1);
    println!("experts by tokens routed to them:");
    for (b, &n) in hist.iter().enumerate() {
        if b > 0 && (b - 1) * width + 1 > max {
            break;
        }
        let label = if b == 0 {
            "0".to_string()
        } else {
            format!("{}-{}", (b - 1) * width + 1, b * width)
        };
        println!(
            "{label:>11} | {:<50} {n}",
            "#".repeat((n * 50).div_ceil(top))
        );
    }
}
