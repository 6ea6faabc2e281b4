//! `omnimoe bench`: per-stage GPU times (timestamp queries; wall clock where the adapter has none),
//! the expert-centric schedule against the token-centric baseline in the same process, sweeps over N or T,
//! JSON and an SVG plot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use omnimoe::gpu::Context;
use omnimoe::{OmniMoeConfig, Result};

use crate::timing::weight_bytes;
use serde::Serialize;

mod console;
mod measure;
mod plot;
mod read_stream;
mod report;
mod stack;
mod sweep;

use measure::{expert_ms, measure_both, stage_model};
use plot::{draw, plot_title, replot};
use report::{Point, Report, Stage};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    F32,
    F16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Sweep {
    /// N ∈ {1k, 4k, 16k, 64k, 256k, 1020² ≈ 1M, 2^20} (1020² is the largest square whose f16 U and V at
    /// H = 1024 fit a 2 GiB binding).
    Experts,
    /// T ∈ {1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096}: decode to prefill.
    Tokens,
}

#[derive(Args)]
pub struct BenchArgs {
    /// T: tokens.
    #[arg(long, default_value_t = 4096)]
    tokens: usize,
    #[command(flatten)]
    shape: crate::shape::LayerShape,
    /// Storage type.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    dtype: Dtype,
    /// Only the GPU is benchmarked.
    #[arg(long, value_enum, default_value_t = crate::Device::Gpu)]
    device: crate::Device,
    /// Timed runs (median reported).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Untimed runs first.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Sweep N or T (expert stage and layer at each point).
    #[arg(long, value_enum)]
    sweep: Option<Sweep>,
    /// Draw the sweep as SVG.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Draw the `--plot` of a sweep saved earlier with `--json` (and the same `--sweep`) instead of
    /// measuring: the plot of results from another machine, or redrawn after a change of style.
    #[arg(long, requires_all = ["plot", "sweep"])]
    replot: Option<PathBuf>,
    /// Keep the default GEMM K steps instead of timing the candidates first.
    #[arg(long)]
    no_autotune: bool,
    /// Also time a stack of L layers (distinct weights) prepared as one submit (time per layer); with
    /// `--sweep tokens`, at every point.
    #[arg(long)]
    layers: Option<usize>,
    /// Run the layer over N adapters instead (cost-aware expert execution): the best N wgpu finds, or
    /// further devices of the best one where it finds fewer.
    #[arg(long)]
    adapters: Option<usize>,
    /// With --adapters: these adapters of `omnimoe info`'s list instead (an index may repeat).
    #[arg(long, value_delimiter = ',')]
    adapter_list: Vec<usize>,
    /// With --adapters: adapter 0's share of the experts (the rest split evenly); above 1/N it is
    /// overloaded.
    #[arg(long, default_value_t = 0.7)]
    first_share: f64,
    /// With --adapters: retentions θ to run, each pruning pairs on the slowest adapter so that a token
    /// keeps at least θ of its routed weight (1 = no pruning).
    #[arg(long, value_delimiter = ',', default_values_t = vec![1.0, 0.9, 0.8, 0.7])]
    prune_theta: Vec<f64>,
    /// With --adapters: a budget δ on removed weight per token instead (θ = 1 − δ).
    #[arg(long)]
    prune_budget: Option<f64>,
    /// With --adapters: keep at most S experts' rows on each adapter (an LRU cache; the rest in host
    /// memory, uploaded on a miss).
    #[arg(long)]
    resident_experts: Option<usize>,
    /// Let the bench run on any CPU: by default (Linux) it keeps off the CPUs that take the GPU's
    /// interrupts, where a waiting thread sees each submit complete ~0.03 ms later (BENCHMARKS.md, "The
    /// wall's floor").
    #[arg(long)]
    any_cpu: bool,
}

pub fn run(args: &BenchArgs) -> Result<()> {
    if args.device == crate::Device::Cpu {
        return Err(omnimoe::Error::Config {
            field: "device",
            reason: "bench measures the GPU path; use the demo for CPU throughput".into(),
        });
    }
    if let (Some(from), Some(path), Some(kind)) = (&args.replot, &args.plot, args.sweep) {
        return replot(from, path, kind);
    }
    let config = args.shape.config()?;
    if args.adapters.is_some() || !args.adapter_list.is_empty() {
        return adapters(args, config);
    }
    if !args.any_cpu {
        if let Some(cpus) = crate::host_cpus::keep_off_gpu_interrupts()? {
            println!("keeping off CPU {cpus:?}: the GPU's interrupts go there (--any-cpu: don't)");
        }
    }
    let ctx = Context::new_blocking()?;
    let es = if args.dtype == Dtype::F16 { 2.0 } else { 4.0 };
    println!(
        "{} ({:?}, {:?}, driver {} {}), timestamps: {}",
        ctx.info.name,
        ctx.info.backend,
        ctx.info.device_type,
        ctx.info.driver,
        ctx.info.driver_info,
        if ctx.caps.timestamp_query {
            "yes"
        } else {
            "no (wall clock)"
        }
    );
    println!(
        "T={} H={} I={} N={} K={} {:?}, median of {} runs after {} warm-up",
        args.tokens,
        args.shape.hidden,
        args.shape.intermediate,
        args.shape.experts,
        args.shape.top_k,
        args.dtype,
        args.runs,
        args.warmup
    );
    let sweep_points = sweep::points(args);
    let bar = ProgressBar::new((2 * args.runs * (1 + sweep_points.len())) as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} runs ({elapsed})").unwrap(),
    );
    bar.set_message("layer");
    let (ec_run, tc) = measure_both(&ctx, args, &bar, args.tokens, config)?;
    // What does not depend on the schedule (touched experts, GEMM tuning) from either run.
    let ec = ec_run.as_ref().unwrap_or(&tc);
    // `--layers L`: one stack of L layers, timed at the configuration and, in a token sweep, at every point.
    let stack = match args.layers {
        Some(l) if l > 0 => Some(stack::Stack::new(&ctx, &config, args, l)?),
        _ => None,
    };
    let sweep = sweep::run(&ctx, args, &bar, &sweep_points, es, stack.as_ref());
    bar.finish_and_clear();

    let stage_details: Vec<Stage> = tc
        .stages
        .iter()
        .chain(
            ec.stages
                .iter()
                .filter(|(n, _)| !tc.stages.iter().any(|(m, _)| m == n)),
        )
        .map(|(name, ms)| {
            let (gflop, mb) = stage_model(name, &config, args.tokens, es, ec.touched);
            Stage {
                name: name.clone(),
                ms: *ms,
                gflop,
                mbytes: mb,
                tflops: gflop / ms,
                gbps: mb / ms,
            }
        })
        .collect();
    let (ecm, tcm) = (ec_run.as_ref().map(expert_ms), expert_ms(&tc));
    let h = args.shape.hidden as f64;
    let expert_min_mb = (args.tokens as f64 * h * es
        + 2.0 * ec.touched as f64 * h * es
        + args.tokens as f64 * h * 4.0)
        / 1e6;
    let weight_gbps = weight_bytes(&config, es, tc.touched) / 1e6 / tc.prepared.gpu_ms;
    let router_variants_ms = crate::router_lab::router_variants(&ctx, &config, args.tokens)?;
    let stack = stack.map(|s| s.time(&ctx, args, args.tokens)).transpose()?;
    let (read_floor_ms, read_stream) = read_stream::read_ceiling(&ctx, &tc.gemm_stream)?.unzip();
    let report = Report {
        adapter: ctx.info.name.clone(),
        backend: format!("{:?}", ctx.info.backend),
        driver: format!("{} {}", ctx.info.driver, ctx.info.driver_info),
        device_type: format!("{:?}", ctx.info.device_type),
        unix_time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        cpus_allowed: crate::host_cpus::cpus_allowed(),
        timestamps: ctx.caps.timestamp_query,
        config: BTreeMap::from([
            ("tokens", args.tokens.into()),
            ("hidden_size", args.shape.hidden.into()),
            ("intermediate_size", args.shape.intermediate.into()),
            ("num_experts", args.shape.experts.into()),
            ("num_experts_per_token", args.shape.top_k.into()),
            ("dtype", serde_json::to_value(args.dtype).unwrap()),
        ]),
        runs: args.runs,
        layer_ms: tc.prepared.gpu_ms,
        layer_wall_ms: tc.prepared.wall_ms,
        layer_wall_spin_ms: tc.prepared.wall_spin_ms,
        host_encode_ms: tc.prepared.host_encode_ms,
        host_submit_ms: tc.prepared.host_submit_ms,
        empty_submit_ms: tc.prepared.empty_submit_ms,
        empty_submit_spin_ms: tc.prepared.empty_submit_spin_ms,
        layer_staged_ms: tc.span_ms,
        layer_unprepared_wall_ms: tc.wall_ms,
        weight_gbps,
        expert_centric_layer_ms: ec_run.as_ref().map(|m| m.span_ms),
        stages: tc.stages.iter().cloned().collect(),
        expert_centric_stages: ec_run
            .as_ref()
            .map(|m| m.stages.iter().cloned().collect())
            .unwrap_or_default(),
        stage_details,
        expert_centric_ms: ecm,
        token_centric_ms: tcm,
        speedup_vs_token_centric: ecm.map(|e| tcm / e),
        touched_experts: ec.touched,
        output_digest: tc.output_digest.clone(),
        expert_min_mbytes: expert_min_mb,
        gemm_tuning: ec
            .tuning
            .iter()
            .map(|t| {
                serde_json::json!({
                    "shape": [t.shape.0, t.shape.1, t.shape.2],
                    "chosen": format!("{:?}", t.chosen),
                    "rejected": t.rejected.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>(),
                    "candidates_ms": t.candidates.iter().map(|c| serde_json::json!({"kernel": format!("{:?}", c.0), "ms": c.1})).collect::<Vec<_>>(),
                })
            })
            .collect(),
        gemm_stream: tc.gemm_stream.clone(),
        read_floor_ms,
        read_stream: read_stream.unwrap_or_default(),
        sweep,
        stack,
        router_variants_ms,
    };
    console::print(&report, &ec.tuning);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("a report serialises");
        omnimoe::io::write_file(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    if let (Some(path), Some(kind)) = (&args.plot, args.sweep) {
        let title = plot_title(&report.adapter, kind, &report.config);
        draw(path, kind, &title, &report.sweep)?;
    }
    Ok(())
}

/// `bench --adapters N`: the layer over several adapters at each retention θ (`crate::caee_bench`).
fn adapters(args: &BenchArgs, config: OmniMoeConfig) -> Result<()> {
    let thetas = match args.prune_budget {
        Some(delta) => vec![1.0, 1.0 - delta],
        None => args.prune_theta.clone(),
    };
    if let Some(bad) = thetas.iter().find(|t| !(0.0..=1.0).contains(*t)) {
        return Err(omnimoe::Error::Config {
            field: "prune_theta",
            reason: format!("{bad} is not a retention in 0..=1"),
        });
    }
    let report = crate::caee_bench::run(&crate::caee_bench::CaeeArgs {
        config,
        tokens: args.tokens,
        f16: args.dtype == Dtype::F16,
        adapters: &args.adapter_list,
        count: args.adapters.unwrap_or(args.adapter_list.len()),
        first_share: args.first_share,
        thetas: &thetas,
        runs: args.runs,
        resident_experts: args.resident_experts,
    })?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("serialisable");
        omnimoe::io::write_file(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.plot {
        crate::caee_bench::plot(path, &report).map_err(|e| omnimoe::Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
