//! The SVG plot of a sweep (`omnimoe bench --sweep … --plot`), also drawn from a saved JSON
//! (`--replot`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use omnimoe::Result;

use super::{Point, Sweep};
use crate::chart::{dotted_line, legend};

/// The plot's title: adapter, sweep, H, K and storage type (from a report's `config`).
pub(super) fn plot_title<K: Ord + std::borrow::Borrow<str>>(
    adapter: &str,
    kind: Sweep,
    config: &BTreeMap<K, serde_json::Value>,
) -> String {
    let at = |key: &str| config.get(key).cloned().unwrap_or(serde_json::Value::Null);
    format!(
        "{adapter} — {kind:?} sweep, H={} K={} {}",
        at("hidden_size"),
        at("num_experts_per_token"),
        at("dtype").as_str().unwrap_or("")
    )
}

/// Writes the SVG of a sweep's points to `path`.
pub(super) fn draw(path: &PathBuf, kind: Sweep, title: &str, pts: &[Point]) -> Result<()> {
    plot(path, kind, title, pts).map_err(|e| omnimoe::Error::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    println!("wrote {}", path.display());
    Ok(())
}

/// `bench --replot JSON --plot SVG --sweep KIND`: the plot of a saved sweep.
pub(super) fn replot(from: &PathBuf, path: &PathBuf, kind: Sweep) -> Result<()> {
    let bad = |reason: String| omnimoe::Error::Config {
        field: "replot",
        reason: format!("{}: {reason}", from.display()),
    };
    let bytes = std::fs::read(from).map_err(|e| omnimoe::Error::Io {
        path: from.display().to_string(),
        source: e,
    })?;
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON ({e})")))?;
    let pts: Vec<Point> = serde_json::from_value(v["sweep"].clone())
        .map_err(|e| bad(format!("no sweep points a bench wrote ({e})")))?;
    let config: BTreeMap<String, serde_json::Value> =
        serde_json::from_value(v["config"].clone()).unwrap_or_default();
    let title = plot_title(v["adapter"].as_str().unwrap_or("?"), kind, &config);
    draw(path, kind, &title, &pts)
}

/// Draws the sweep's series (expert stages both ways, the layer's GPU and wall time, and its GPU time per
/// layer in a stack where the sweep has one) on log axes.
fn plot(
    path: &PathBuf,
    kind: Sweep,
    title: &str,
    sweep: &[Point],
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let pts: Vec<&Point> = sweep.iter().filter(|p| p.error.is_none()).collect();
    let xs = |p: &Point| {
        (if kind == Sweep::Experts {
            p.experts
        } else {
            p.tokens
        }) as f64
    };
    let mut series = vec![
        (
            "expert stages, expert-centric",
            BLUE,
            (|p: &Point| p.expert_centric_ms.unwrap_or(f64::NAN)) as fn(&Point) -> f64,
        ),
        ("expert stages, token-centric", RED, |p: &Point| {
            p.token_centric_ms.unwrap()
        }),
        (
            "whole layer, GPU (prepared, token-centric)",
            BLACK,
            |p: &Point| p.layer_ms.unwrap(),
        ),
        (
            "whole layer, wall: one submit and wait (prepared)",
            MAGENTA,
            |p: &Point| p.layer_wall_ms.unwrap(),
        ),
    ];
    if pts.iter().any(|p| p.stack.is_some()) {
        series.push((
            "layer in a stack of distinct layers, GPU per layer (prepared)",
            GREEN,
            |p: &Point| p.stack.as_ref().map_or(f64::NAN, |s| s.gpu_ms_per_layer),
        ));
    }
    let all: Vec<f64> = pts
        .iter()
        .flat_map(|p| series.iter().map(|s| (s.2)(p)))
        .filter(|v| v.is_finite())
        .collect();
    let (lo, hi) = (
        all.iter().cloned().fold(f64::MAX, f64::min).max(1e-4) / 1.5,
        all.iter().cloned().fold(0.0, f64::max) * 1.5,
    );
    let (x0, x1) = (
        pts.iter().map(|p| xs(p)).fold(f64::MAX, f64::min),
        pts.iter().map(|p| xs(p)).fold(0.0, f64::max),
    );
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d((x0.max(1.0)..x1 * 1.2).log_scale(), (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc(if kind == Sweep::Experts {
            "N (experts)"
        } else {
            "T (tokens)"
        })
        .y_desc("GPU time (ms)")
        .draw()?;
    for (name, color, f) in series {
        let line: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| (xs(p), f(p)))
            .filter(|(_, y)| y.is_finite())
            .collect();
        let style = color.stroke_width(2);
        dotted_line(&mut chart, &line, style, color, Some((name.into(), style)))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present()?;
    Ok(())
}
