//! `omnimoe bench --sweep`: the points of a sweep over N or T, each measured like the main configuration;
//! a point that cannot run (sizes beyond the device) is reported with its error instead.

use indicatif::ProgressBar;
use omnimoe::gpu::Context;
use omnimoe::Result;

use super::measure::{expert_ms, measure_both};
use super::report::Point;
use super::stack::Stack;
use super::{BenchArgs, Sweep};
use crate::timing::weight_bytes;

/// (T, N) of each point of `args.sweep` (none without one).
pub(super) fn points(args: &BenchArgs) -> Vec<(usize, usize)> {
    match args.sweep {
        None => Vec::new(),
        Some(Sweep::Experts) => [
            1 << 10,
            1 << 12,
            1 << 14,
            1 << 16,
            1 << 18,
            1020 * 1020,
            1 << 20,
        ]
        .iter()
        .map(|&n| (args.tokens, n))
        .collect(),
        Some(Sweep::Tokens) => [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096]
            .iter()
            .map(|&t| (t, args.shape.experts))
            .collect(),
    }
}

/// Measures every point; `es` is the storage type's bytes per element. In a token sweep, `stack` (the
/// bench's `--layers L`) is timed at every point too.
pub(super) fn run(
    ctx: &Context,
    args: &BenchArgs,
    bar: &ProgressBar,
    points: &[(usize, usize)],
    es: f64,
    stack: Option<&Stack>,
) -> Vec<Point> {
    let stack = stack.filter(|_| args.sweep == Some(Sweep::Tokens));
    points
        .iter()
        .map(|&(t, n)| {
            bar.set_message(format!("T={t} N={n}"));
            let mut p =
                point(ctx, args, bar, (t, n), es).unwrap_or_else(|e| failed(t, n, e.to_string()));
            if let (Some(s), None) = (stack, &p.error) {
                match s.time(ctx, args, t) {
                    Ok(r) => p.stack = Some(r),
                    Err(e) => p.error = Some(format!("stack: {e}")),
                }
            }
            p
        })
        .collect()
}

fn point(
    ctx: &Context,
    args: &BenchArgs,
    bar: &ProgressBar,
    (t, n): (usize, usize),
    es: f64,
) -> Result<Point> {
    let c = args.shape.with_experts(n)?;
    let (ec, tc) = measure_both(ctx, args, bar, t, c)?;
    let p = &tc.prepared;
    Ok(Point {
        tokens: t,
        experts: n,
        layer_ms: Some(p.gpu_ms),
        layer_wall_ms: Some(p.wall_ms),
        layer_wall_spin_ms: Some(p.wall_spin_ms),
        host_encode_ms: Some(p.host_encode_ms),
        host_submit_ms: Some(p.host_submit_ms),
        empty_submit_ms: Some(p.empty_submit_ms),
        empty_submit_spin_ms: Some(p.empty_submit_spin_ms),
        layer_staged_ms: Some(tc.span_ms),
        weight_gbps: Some(weight_bytes(&c, es, tc.touched) / 1e6 / p.gpu_ms),
        expert_centric_ms: ec.as_ref().map(expert_ms),
        token_centric_ms: Some(expert_ms(&tc)),
        stages: tc.stages.iter().cloned().collect(),
        gemm_stream: tc.gemm_stream.clone(),
        stack: None,
        error: None,
    })
}

fn failed(tokens: usize, experts: usize, error: String) -> Point {
    Point {
        tokens,
        experts,
        error: Some(error),
        ..Default::default()
    }
}
