//! The quality half of `omnimoe routing-bench`: how far the layer's output moves from fixed top-K routing
//! under unified budgets and expert choice, on weights files (the CPU reference), and its SVG plot.

use std::path::Path;

use omnimoe::io::TensorFile;
use omnimoe::routing::{Routing, RoutingMode};
use omnimoe::{cpu, LoadOptions, OmniMoeWeights, Result};
use serde::Serialize;

#[derive(Serialize)]
pub struct QualityRow {
    weights: String,
    mode: String,
    budget_over_k: f64,
    pairs: usize,
    rel_l2_vs_top_k: f64,
    starved_tokens: usize,
}

/// Relative L2 error of the layer output against fixed top-K on the golden file `path`, for unified
/// budgets and expert choice at the same pairs per token.
pub fn quality(path: &Path) -> Result<Vec<QualityRow>> {
    let bytes = omnimoe::io::read_file(path)?;
    let file = TensorFile::parse(&bytes)?;
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default())?;
    let (t, x) = file.tokens("input", w.config.hidden_size)?;
    let k = w.config.num_experts_per_token as f64;
    let top_k = cpu::forward(&w, &x)?.output;
    let norm = top_k
        .iter()
        .map(|v| (*v as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let name = path
        .file_stem()
        .map_or("weights".into(), |s| s.to_string_lossy().into_owned());
    let mut rows = Vec::new();
    for frac in [0.25, 0.5, 0.75, 1.0, 1.5] {
        for mode in [RoutingMode::Unified, RoutingMode::ExpertChoice] {
            let routing = Routing {
                mode,
                budget: Some(frac * k),
                ..Default::default()
            };
            let out = cpu::forward_routed(&w, &x, &routing)?;
            let err = out
                .output
                .iter()
                .zip(&top_k)
                .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
                .sum::<f64>()
                .sqrt();
            let stats = out.routed.stats(w.config.num_experts, k as usize);
            let row = QualityRow {
                weights: name.clone(),
                mode: if mode == RoutingMode::Unified {
                    "unified".into()
                } else {
                    "expert-choice".into()
                },
                budget_over_k: frac,
                pairs: stats.pairs,
                rel_l2_vs_top_k: err / norm.max(f64::MIN_POSITIVE),
                starved_tokens: stats.starved_tokens,
            };
            println!(
                "quality {name} T={t} {:13} budget {:.2}·K: {} pairs, rel. L2 vs top-K {:.3e}, {} starved",
                row.mode, frac, row.pairs, row.rel_l2_vs_top_k, row.starved_tokens
            );
            rows.push(row);
        }
    }
    Ok(rows)
}

pub fn plot(
    path: &Path,
    rows: &[QualityRow],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    use crate::chart::{dotted_line, legend};
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let hi = rows.iter().map(|r| r.rel_l2_vs_top_k).fold(0.0, f64::max) * 1.1 + 1e-9;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Layer output vs fixed top-K: relative L2 error by budget (CPU reference)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(0.2..1.55, 0.0..hi)?;
    chart
        .configure_mesh()
        .x_desc("pairs per token / K")
        .y_desc("‖y − y_topK‖ / ‖y_topK‖")
        .draw()?;
    let colors = [BLUE, RED, BLACK, MAGENTA, GREEN, CYAN];
    let mut keys: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.weights.clone(), r.mode.clone()))
        .collect();
    keys.dedup();
    for (i, (weights, mode)) in keys.iter().enumerate() {
        let color = colors[i % colors.len()];
        let line: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| &r.weights == weights && &r.mode == mode)
            .map(|r| (r.budget_over_k, r.rel_l2_vs_top_k))
            .collect();
        let style = if mode == "unified" {
            color.stroke_width(2)
        } else {
            color.stroke_width(1)
        };
        let label = format!("{weights}, {mode}");
        dotted_line(&mut chart, &line, style, color, Some((label, style)))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(())
}
