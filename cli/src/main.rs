//! `omnimoe`: run an OmniMoE layer from the command line.
//!
//! - no arguments (or `demo`): a seeded random layer, a forward pass, throughput and routing statistics;
//! - `forward`: weights and input from safetensors files, output to a safetensors file;
//! - `info`: the GPU adapters wgpu finds and what the layer will use.

mod bench;
mod demo;
mod forward;
mod router_lab;
mod run;
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
    /// List the GPU adapters and the features and limits that matter here.
    Info,
    /// Per-stage GPU times, expert-centric against token-centric, sweeps (JSON, SVG).
    Bench(bench::BenchArgs),
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Demo(cli.demo)) {
        Command::Demo(args) => demo::run(&args),
        Command::Forward(args) => forward::run(&args),
        Command::Info => info(),
        Command::Bench(args) => bench::run(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn info() -> omnimoe::Result<()> {
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
    Ok(())
}
