//! `omnimoe bench --adapters N`: the layer over several adapters (cost-aware expert execution, issue 12):
//! experts placed with adapter 0 overloaded (`--first-share`), each adapter's cost calibrated on it, then
//! per retention θ (`--prune-theta`, 1.0 = no pruning) the wall time of a forward, each adapter's expert
//! stage GPU time (at a steady clock, [`MultiAdapterLayer::time_shares`]), the critical adapter, the
//! imbalance, the removed weight and the error against θ = 1.

use std::path::Path;

use omnimoe::caee::{CalibratedCost, Placement};
use omnimoe::gpu::calibrate::{calibrate_blocking, CalibrateOptions};
use omnimoe::gpu::multi_adapter::{contexts, contexts_on, MultiAdapterLayer, MultiOutput, Prune};
use omnimoe::gpu::{LayerOptions, Precision};
use omnimoe::{OmniMoeConfig, OmniMoeWeights, Result};
use serde::Serialize;

use crate::timing::median;

/// What the adapters option of `bench` sets.
pub struct CaeeArgs<'a> {
    pub config: OmniMoeConfig,
    pub tokens: usize,
    pub f16: bool,
    pub adapters: &'a [usize],
    pub count: usize,
    pub first_share: f64,
    pub thetas: &'a [f64],
    pub runs: usize,
    pub resident_experts: Option<usize>,
}

#[derive(Serialize)]
pub struct CaeePoint {
    theta: f64,
    /// Host wall milliseconds of a forward (median): router, plan, every adapter's share, the sum.
    wall_ms: f64,
    /// GPU milliseconds of each adapter's expert stage at a steady clock (median per adapter).
    per_adapter_ms: Vec<f64>,
    /// The same measured inside the timed forwards (clock not settled between them).
    in_forward_ms: Vec<f64>,
    critical_adapter: usize,
    /// Max over mean of `per_adapter_ms`.
    imbalance: f64,
    /// Routing weight removed over all routed weight.
    removed_weight: f64,
    /// ‖y − y(θ = 1)‖ / ‖y(θ = 1)‖.
    rel_error: f64,
    /// Per adapter, hits and misses of its resident experts over the timed forwards (with
    /// --resident-experts), and the bytes the misses uploaded.
    hits: Vec<u64>,
    misses: Vec<u64>,
    uploaded_bytes: Vec<u64>,
    /// The planner's predicted milliseconds per adapter before and after pruning.
    predicted_before_ms: Vec<f64>,
    predicted_after_ms: Vec<f64>,
}

#[derive(Serialize)]
pub struct CaeeReport {
    adapters: Vec<String>,
    first_share: f64,
    experts_per_adapter: Vec<usize>,
    tokens: usize,
    dtype: &'static str,
    points: Vec<CaeePoint>,
}

fn rel_l2(a: &[f32], b: &[f32]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
    let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (num / den.max(1e-300)).sqrt()
}

pub fn run(args: &CaeeArgs) -> Result<CaeeReport> {
    let ctxs = if args.adapters.is_empty() {
        contexts(args.count)?
    } else {
        contexts_on(args.adapters)?
    };
    let n = args.config.num_experts;
    let placement = Placement::skewed(n, ctxs.len(), args.first_share)?;
    let experts_per_adapter: Vec<usize> = (0..ctxs.len())
        .map(|a| (0..n).filter(|&e| placement.adapter(e as u32) == a).count())
        .collect();
    for (a, c) in ctxs.iter().enumerate() {
        println!(
            "adapter {a}: {} ({} experts)",
            c.info.name, experts_per_adapter[a]
        );
    }
    // Each adapter's cost model, at this layer's H and K.
    let k = args.config.num_experts_per_token as u32;
    let options = CalibrateOptions {
        hidden: args.config.hidden_size as u32,
        experts: (256 / k).max(1) * k,
        top_k: k,
        tokens_per_expert: vec![1, 2, 4, 8, 16, 32, 64],
        upload_batches: vec![],
        reps: 3,
    };
    let models = ctxs
        .iter()
        .map(|c| calibrate_blocking(c, &options))
        .collect::<Result<Vec<_>>>()?;
    let cost = CalibratedCost {
        models: &models,
        f16: args.f16,
    };
    let weights = OmniMoeWeights::random(args.config, 1)?;
    let x = omnimoe::rng::SplitMix64::new(2).normals(args.tokens * args.config.hidden_size);
    let precision = if args.f16 {
        Precision::F16
    } else {
        Precision::F32
    };
    let layer_options = LayerOptions {
        precision,
        ..Default::default()
    };
    let refs: Vec<_> = ctxs.iter().collect();
    let layer = MultiAdapterLayer::new(
        &refs,
        &weights,
        placement,
        &layer_options,
        args.resident_experts,
    )?;
    let mut reference: Option<Vec<f32>> = None;
    let mut points = Vec::new();
    for &theta in args.thetas {
        let prune = (theta < 1.0).then_some(Prune {
            max_removed: 1.0 - theta,
            cost: &cost,
        });
        let once = || layer.forward_blocking(&x, prune.as_ref());
        // Warm-up, then the timed runs.
        for _ in 0..2 {
            once()?;
        }
        let mut walls = Vec::new();
        let mut per: Vec<Vec<f64>> = vec![Vec::new(); ctxs.len()];
        let mut last: Option<MultiOutput> = None;
        let mut cache = vec![[0u64; 3]; ctxs.len()];
        for _ in 0..args.runs.max(1) {
            let start = std::time::Instant::now();
            let out = once()?;
            walls.push(start.elapsed().as_secs_f64() * 1e3);
            for (a, r) in out.residency.iter().enumerate() {
                cache[a][0] += r.hits;
                cache[a][1] += r.misses;
                cache[a][2] += r.uploaded_bytes;
            }
            for (a, ms) in out.per_adapter_ms.iter().enumerate() {
                per[a].push(*ms);
            }
            last = Some(out);
        }
        let out = last.expect("at least one run");
        let base = reference.get_or_insert_with(|| out.output.clone());
        // Each adapter's share at its working clock (a forward's host round trips leave the GPUs idle
        // long enough to drop it); the times inside the forwards are kept as `in_forward_ms`. An idle
        // GPU takes ~1.5 s of sustained work to reach it (the second of two H200s, whose only work this
        // is: 345 → 600 → 1035 → 1530 → 1980 MHz at 0.5 s steps, `benchmarks/h200-run-fused/clocks.csv`).
        let in_forward_ms: Vec<f64> = per.into_iter().map(median).collect();
        let per_adapter_ms = layer.time_shares(&x, prune.as_ref(), 2000.0, args.runs.max(3))?;
        let (critical_adapter, imbalance) = omnimoe::caee::critical_and_imbalance(&per_adapter_ms);
        let (before, after) = out.plan.as_ref().map_or((vec![], vec![]), |p| {
            (p.before_ms.clone(), p.after_ms.clone())
        });
        let point = CaeePoint {
            theta,
            wall_ms: median(walls),
            per_adapter_ms,
            in_forward_ms,
            critical_adapter,
            imbalance,
            removed_weight: out.removed_weight,
            rel_error: rel_l2(&out.output, base),
            hits: cache.iter().map(|c| c[0]).collect(),
            misses: cache.iter().map(|c| c[1]).collect(),
            uploaded_bytes: cache.iter().map(|c| c[2]).collect(),
            predicted_before_ms: before,
            predicted_after_ms: after,
        };
        println!(
            "θ = {:.2}: wall {:.3} ms, expert stage per adapter {:?} ms, critical {}, imbalance {:.2}, \
             removed weight {:.3}, rel. error {:.2e}",
            point.theta,
            point.wall_ms,
            point
                .per_adapter_ms
                .iter()
                .map(|m| (m * 1e4).round() / 1e4)
                .collect::<Vec<_>>(),
            point.critical_adapter,
            point.imbalance,
            point.removed_weight,
            point.rel_error
        );
        points.push(point);
    }
    Ok(CaeeReport {
        adapters: ctxs.iter().map(|c| c.info.name.clone()).collect(),
        first_share: args.first_share,
        experts_per_adapter,
        tokens: args.tokens,
        dtype: if args.f16 { "f16" } else { "f32" },
        points,
    })
}

/// Latency of the critical adapter and error against θ.
pub fn plot(path: &Path, r: &CaeeReport) -> std::result::Result<(), Box<dyn std::error::Error>> {
    use crate::chart::{dotted_line, legend};
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(450);
    let thetas: Vec<f64> = r.points.iter().map(|p| p.theta).collect();
    let lo = thetas.iter().copied().fold(1.0, f64::min) - 0.05;
    let slowest = |p: &CaeePoint| p.per_adapter_ms.iter().copied().fold(0.0, f64::max);
    let hi_ms = r.points.iter().map(slowest).fold(0.0, f64::max) * 1.15 + 1e-9;
    let mut chart = ChartBuilder::on(&left)
        .caption("Slowest adapter's expert stage", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..1.05, 0.0..hi_ms)?;
    chart
        .configure_mesh()
        .x_desc("retention θ")
        .y_desc("GPU ms")
        .draw()?;
    let line: Vec<(f64, f64)> = r.points.iter().map(|p| (p.theta, slowest(p))).collect();
    dotted_line(&mut chart, &line, BLUE.stroke_width(2), BLUE, None)?;
    let hi_err = r.points.iter().map(|p| p.rel_error).fold(0.0, f64::max) * 1.15 + 1e-9;
    let mut chart = ChartBuilder::on(&right)
        .caption("Error against θ = 1 and removed weight", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..1.05, 0.0..hi_err.max(0.35))?;
    chart.configure_mesh().x_desc("retention θ").draw()?;
    for (values, color, name) in [
        (
            r.points
                .iter()
                .map(|p| (p.theta, p.rel_error))
                .collect::<Vec<_>>(),
            RED,
            "‖Δy‖/‖y‖",
        ),
        (
            r.points
                .iter()
                .map(|p| (p.theta, p.removed_weight))
                .collect(),
            BLACK,
            "removed weight",
        ),
    ] {
        let legend_style = Some((name.into(), color.into()));
        dotted_line(
            &mut chart,
            &values,
            color.stroke_width(2),
            color,
            legend_style,
        )?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present()?;
    Ok(())
}
