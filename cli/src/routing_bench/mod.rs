//! `omnimoe routing-bench`: the routing modes of issue 11 (USMoE) measured side by side in one run.
//! - Dense routers, E ∈ {64, 256, 1024, 4096}: GPU time of the unified score, of the unified top-c over
//!   all T·E pairs, of per-row top-k through the same select (token choice: groups of one token), and of
//!   expert choice.
//! - The OmniMoE layer (README config unless said): staged GPU time and telemetry of fixed top-K against
//!   unified budgets and expert choice.
//! - Quality on given weights (the CPU reference): relative L2 error of the layer output against fixed
//!   top-K for budgets from 0.25 to 1.5 × K; optionally plotted (SVG).

use std::path::PathBuf;

use clap::Args;
use omnimoe::gpu::Context;
use omnimoe::{OmniMoeConfig, Result};
use serde::Serialize;

mod modes;

use modes::{dense_moe_modes, dense_router, layer_modes, DenseMoeRow, DenseRow, LayerRow};

#[derive(Args)]
pub struct RoutingBenchArgs {
    /// Tokens of every GPU measurement.
    #[arg(long, default_value_t = 4096)]
    tokens: usize,
    /// Experts per token of the dense-router shapes.
    #[arg(long, default_value_t = 8)]
    dense_k: usize,
    /// Timed runs per point (median).
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// The OmniMoE layer's H, I, N and K (default: the authors' README configuration).
    #[arg(long, num_args = 4, value_names = ["H", "I", "N", "K"])]
    layer: Option<Vec<usize>>,
    /// The dense-router MoE layer's H, I, E and k (default: OLMoE-1B-7B's 2048, 1024, 64, 8).
    #[arg(long, num_args = 4, value_names = ["H", "I", "E", "K"])]
    dense_moe: Option<Vec<usize>>,
    /// f16 storage for the OmniMoE layer (where the adapter has it).
    #[arg(long)]
    f16: bool,
    /// Skip the GPU measurements (quality only).
    #[arg(long)]
    no_gpu: bool,
    /// Weights files (safetensors with an `input` tensor: the golden files) for the quality sweep.
    #[arg(long, num_args = 1..)]
    quality: Vec<PathBuf>,
    /// Write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the quality sweep as SVG.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report {
    adapter: Option<String>,
    layer_config: Option<String>,
    dense_router: Vec<DenseRow>,
    layer: Vec<LayerRow>,
    dense_moe_config: Option<String>,
    dense_moe: Vec<DenseMoeRow>,
    quality: Vec<crate::routing_quality::QualityRow>,
}

pub fn run(args: &RoutingBenchArgs) -> Result<()> {
    let mut report = Report {
        adapter: None,
        layer_config: None,
        dense_router: Vec::new(),
        layer: Vec::new(),
        dense_moe_config: None,
        dense_moe: Vec::new(),
        quality: Vec::new(),
    };
    if !args.no_gpu {
        let ctx = Context::new_blocking()?;
        report.adapter = Some(ctx.info.name.clone());
        for e in [64, 256, 1024, 4096] {
            let row = dense_router(&ctx, args.tokens, e, args.dense_k, args.runs)?;
            println!(
                "dense router E={e:5} k={}: unified score {:.4} ms, unified top-c {:.4}, per-row top-k \
                 {:.4}, expert choice {}",
                args.dense_k,
                row.unified_score_ms,
                row.unified_select_ms,
                row.token_choice_select_ms,
                row.expert_choice_ms
                    .map_or("— (beyond 4M candidates)".into(), |ms| format!("{ms:.4}"))
            );
            report.dense_router.push(row);
        }
        let config = match args.layer.as_deref() {
            Some(&[h, i, n, k]) => OmniMoeConfig::new(h, i, n, k)?,
            _ => OmniMoeConfig::readme(),
        };
        report.layer_config = Some(format!(
            "H={} I={} N={} K={} T={} {}",
            config.hidden_size,
            config.intermediate_size,
            config.num_experts,
            config.num_experts_per_token,
            args.tokens,
            if args.f16 { "f16" } else { "f32" }
        ));
        report.layer = layer_modes(&ctx, config, args)?;
        let dense = match args.dense_moe.as_deref() {
            Some(&[h, i, e, k]) => omnimoe::dense_moe::DenseMoeConfig::new(h, i, e, k)?,
            _ => omnimoe::dense_moe::DenseMoeConfig::new(2048, 1024, 64, 8)?,
        };
        report.dense_moe_config = Some(format!(
            "H={} I={} E={} k={} T={} f32",
            dense.hidden_size, dense.intermediate_size, dense.num_experts, dense.top_k, args.tokens
        ));
        report.dense_moe = dense_moe_modes(&ctx, dense, args)?;
    }
    for path in &args.quality {
        report
            .quality
            .extend(crate::routing_quality::quality(path)?);
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("serialisable");
        omnimoe::io::write_file(path, text.as_bytes())?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.plot {
        crate::routing_quality::plot(path, &report.quality).map_err(|e| omnimoe::Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
