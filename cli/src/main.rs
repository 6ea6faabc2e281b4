//! `omnimoe`: run an OmniMoE layer from the command line.
//!
//! - no arguments (or `demo`): a seeded random layer, a forward pass, throughput and routing statistics;
//! - `forward`: weights and input from safetensors files, output to a safetensors file;
//! - `info`: the GPU adapters wgpu finds and what the layer will use;
//! - `bench`, `routing-bench`: GPU times (JSON, SVG);
//! - `calibrate`: the cost model of cost-aware expert execution (JSON).

mod bench;
mod caee_bench;
mod calibrate;
mod chart;
mod demo;
mod forward;
mod host_cpus;
mod router_lab;
mod routing_bench;
mod routing_quality;
mod run;
mod shape;
mod timing;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "omnimoe",
    version,
    about = "OmniMoE mixture-of-experts layers on any GPU",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options of the demo when no command is given.
    #[command(flatten)]
    demo: demo::DemoArgs,
}

/// Where the forward pass runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Device {
    /// The GPU when one is found, else the CPU (with a message).
    Auto,
    /// The CPU reference.
    Cpu,
    /// The best GPU adapter; fails when there is none.
    Gpu,
}

#[derive(Subcommand)]
enum Command {
    /// Run a seeded random layer and print throughput and routing statistics (the default).
    Demo(demo::DemoArgs),
    /// Run a layer stored in safetensors on an input stored in safetensors.
    Forward(forward::ForwardArgs),
    /// List the GPU adapters and the features and limits that matter here; with --weights, the device
    /// memory that layer would take.
    Info(InfoArgs),
    /// Per-stage GPU times, expert-centric against token-centric, sweeps (JSON, SVG).
    Bench(bench::BenchArgs),
    /// Routing modes (token choice, expert choice, unified budgets): selection and layer GPU times,
    /// telemetry, and quality against fixed top-K (JSON, SVG).
    RoutingBench(routing_bench::RoutingBenchArgs),
    /// The cost model of cost-aware expert execution: expert-stage and upload times on this adapter,
    /// fitted flat-then-linear, with their error on held-out sizes (JSON).
    Calibrate(calibrate::CalibrateArgs),
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Demo(cli.demo)) {
        Command::Demo(args) => demo::run(&args),
        Command::Forward(args) => forward::run(&args),
        Command::Info(args) => info(&args),
        Command::Bench(args) => bench::run(&args),
        Command::RoutingBench(args) => routing_bench::run(&args),
        Command::Calibrate(args) => calibrate::run(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

#[derive(clap::Args)]
struct InfoArgs {
    /// A layer's weights (safetensors): print its device footprint on the chosen adapter.
    #[arg(long)]
    weights: Option<std::path::PathBuf>,
    /// Prefix of the weight names.
    #[arg(long, default_value = "")]
    prefix: String,
    /// K, when the file has no metadata.
    #[arg(long)]
    experts_per_token: Option<usize>,
    /// Tokens per forward, for the forward's own buffers.
    #[arg(long, default_value_t = 4096)]
    tokens: usize,
}

fn info(args: &InfoArgs) -> omnimoe::Result<()> {
    let adapters = omnimoe::gpu::context::enumerate_adapters();
    if adapters.is_empty() {
        println!(
            "No GPU adapter found. The CPU reference still works (--device cpu).\n\
             To get one: install your GPU's Vulkan/Metal/DX12 driver, or the software Vulkan driver \
             (Debian/Ubuntu: apt-get install mesa-vulkan-drivers) and set WGPU_BACKEND=vulkan."
        );
        return Ok(());
    }
    println!("{} adapter(s), best first:", adapters.len());
    for a in &adapters {
        println!("{a}");
    }
    match omnimoe::gpu::Context::new_blocking() {
        Ok(ctx) => println!(
            "\nThe layer will use: {} ({:?}), {} storage",
            ctx.info.name,
            ctx.info.backend,
            if ctx.caps.shader_f16 {
                "f32 or f16"
            } else {
                "f32"
            }
        ),
        Err(e) => println!("\nNo usable device: {e}"),
    }
    if let Some(path) = &args.weights {
        footprint(args, path)?;
    }
    Ok(())
}

/// The device memory of the layer in `path`, in each storage type the adapter offers.
fn footprint(args: &InfoArgs, path: &std::path::Path) -> omnimoe::Result<()> {
    use omnimoe::gpu::{LayerOptions, OmniMoeLayer, Precision};
    let options = omnimoe::LoadOptions {
        prefix: args.prefix.clone(),
        experts_per_token: args.experts_per_token,
    };
    let c = omnimoe::OmniMoeWeights::load(path, &options)?.config;
    println!(
        "\n{}: H = {}, I = {}, N = {}, K = {}",
        path.display(),
        c.hidden_size,
        c.intermediate_size,
        c.num_experts,
        c.num_experts_per_token
    );
    let ctx = omnimoe::gpu::Context::new_blocking()?;
    let mut precisions = vec![Precision::F32];
    if ctx.caps.shader_f16 {
        precisions.push(Precision::F16);
    }
    for precision in precisions {
        let layer_options = LayerOptions {
            precision,
            ..Default::default()
        };
        match OmniMoeLayer::plan(&ctx, &c, &layer_options) {
            Ok(plan) => println!(
                "  {precision:?}: {plan}\n  {precision:?}: footprint of a forward of {} tokens: {} bytes \
                 ({:.1} MiB)",
                args.tokens,
                plan.forward_bytes(args.tokens),
                plan.forward_bytes(args.tokens) as f64 / (1u64 << 20) as f64
            ),
            Err(e) => println!("  {precision:?}: {e}"),
        }
    }
    Ok(())
}
