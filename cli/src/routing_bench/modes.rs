//! What `omnimoe routing-bench` measures on the GPU: the dense routers' selections, the OmniMoE layer under
//! each routing mode, and the dense-router MoE layer under each mode.

use omnimoe::gpu::buffers::{self, Bind};
use omnimoe::gpu::stages::{self, Recorder, RouteScratch};
use omnimoe::gpu::{Context, LayerOptions, OmniMoeLayer, Precision, Timing};
use omnimoe::rng::SplitMix64;
use omnimoe::routing::{Routed, Routing, RoutingMode};
use omnimoe::{OmniMoeConfig, OmniMoeWeights, Result};
use serde::Serialize;

use super::RoutingBenchArgs;
use crate::timing::{keep_busy, median, WARM_MS};

#[derive(Serialize)]
pub(super) struct DenseRow {
    pub(super) experts: usize,
    pub(super) k: usize,
    pub(super) tokens: usize,
    pub(super) unified_score_ms: f64,
    pub(super) unified_select_ms: f64,
    pub(super) token_choice_select_ms: f64,
    /// None where T·E exceeds the counting sort (4M candidates).
    pub(super) expert_choice_ms: Option<f64>,
}

/// The expert stage's labels; everything else but the dense GEMMs is routing (the router, the
/// candidates, the selection, expert choice's counting sort).
const EXPERT_STAGE: [&str; 3] = ["expert_scores", "expert_combine", "expert_token"];

#[derive(Serialize)]
pub(super) struct LayerRow {
    pub(super) mode: String,
    pub(super) budget: Option<f64>,
    /// The forward as one compute pass.
    pub(super) gpu_ms: f64,
    /// A timed pass per stage: the sum, the routing's stages (router, candidates, selection), the
    /// expert stage's, and each stage's.
    pub(super) staged_gpu_ms: f64,
    pub(super) selection_ms: f64,
    pub(super) expert_stage_ms: f64,
    pub(super) stages: std::collections::BTreeMap<String, f64>,
    pub(super) pairs: usize,
    pub(super) expert_flops_vs_top_k: f64,
    pub(super) starved_tokens: usize,
    pub(super) max_experts_per_token: usize,
    /// `experts_per_token[j]`: tokens with j experts.
    pub(super) experts_per_token: Vec<usize>,
    pub(super) expert_load_max: u32,
    pub(super) expert_load_mean: f64,
    pub(super) experts_unused: usize,
}

#[derive(Serialize)]
pub(super) struct DenseMoeRow {
    pub(super) mode: String,
    pub(super) budget: Option<f64>,
    /// One forward, host to host (two submissions, the pairs read back between them).
    pub(super) wall_ms: f64,
    pub(super) pairs: usize,
    pub(super) starved_tokens: usize,
    pub(super) max_experts_per_token: usize,
    pub(super) expert_load_max: u32,
    pub(super) experts_unused: usize,
}

/// GPU ms of one recording (one compute pass, a timestamp at each end), median of `runs` after a warm-up;
/// `before` runs ahead of each submission (resets state).
fn time_recording<'a>(
    ctx: &'a Context,
    runs: usize,
    before: &dyn Fn(),
    record: &dyn Fn(&mut Recorder<'a>),
) -> Result<f64> {
    let mut rec = Recorder::new(ctx);
    record(&mut rec);
    let frozen = rec.freeze();
    keep_busy(ctx, WARM_MS / 3.0, || {
        before();
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        frozen.encode(ctx, &mut encoder, Timing::Off);
        ctx.queue.submit([encoder.finish()]);
        Ok(())
    })?;
    let mut times = Vec::new();
    for _ in 0..runs {
        before();
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let t = frozen.encode(ctx, &mut encoder, Timing::Total);
        ctx.queue.submit([encoder.finish()]);
        buffers::wait(ctx)?;
        if let Some(t) = t {
            times.push(pollster::block_on(t.read(ctx))?.1);
        }
    }
    Ok(median(times))
}

/// The dense-router selections over random logits of `t` tokens and `e` experts, k per token.
pub(super) fn dense_router(
    ctx: &Context,
    t: usize,
    e: usize,
    k: usize,
    runs: usize,
) -> Result<DenseRow> {
    let logits: Vec<f32> = SplitMix64::new(e as u64)
        .normals(t * e)
        .iter()
        .map(|v| 2.0 * v)
        .collect();
    let experts: Vec<u32> = (0..t).flat_map(|_| 0..e as u32).collect();
    let f32s = |v: &[f32]| buffers::upload(ctx, "bench", bytemuck::cast_slice(v));
    let u32s = |v: &[u32]| buffers::upload(ctx, "bench", bytemuck::cast_slice(v));
    let s = |bytes: u64| buffers::storage(ctx, "bench", bytes.max(4));
    let (lb, ub, eb) = (f32s(&logits), s((t * e) as u64 * 4), u32s(&experts));
    let valid = u32s(&vec![1; t]);
    let all = Bind::all;
    let score = time_recording(ctx, runs, &|| {}, &|rec| {
        stages::route_unified_score(rec, (t as u32, e as u32), 0.5, all(&lb), all(&ub))
    })?;
    // The unified scores, for the selections.
    let mut rec = Recorder::new(ctx);
    stages::route_unified_score(&mut rec, (t as u32, e as u32), 0.5, all(&lb), all(&ub));
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
    let state = s(t as u64 * 16);
    let state_ref = &state;
    let set_state = |budgets: Vec<u32>| {
        let words = stages::route_state(&budgets);
        move || {
            ctx.queue
                .write_buffer(state_ref, 0, bytemuck::cast_slice(&words))
        }
    };
    let (t32, e32) = (t as u32, e as u32);
    let room = (t * e) as u64;
    let select = |s: u32, expert_choice: bool| {
        RouteScratch::new(ctx, (t32, e32, s, e32), room, expert_choice)
    };
    let (one_group, per_row) = (select(t32, false), select(1, false));
    let unified = time_recording(ctx, runs, &set_state(vec![(k * t) as u32]), &|rec| {
        one_group.record(rec, all(&ub), all(&eb), all(&valid), all(&state))
    })?;
    let per_row_ms = time_recording(ctx, runs, &set_state(vec![k as u32; t]), &|rec| {
        per_row.record(rec, all(&ub), all(&eb), all(&valid), all(&state))
    })?;
    let cap = (k * t).div_ceil(e) as u32;
    let sortable = (t * e) as u64 <= 4 * stages::MAX_SCAN as u64;
    let expert_choice = if sortable {
        let scratch = select(t32, true);
        Some(time_recording(ctx, runs, &set_state(vec![cap]), &|rec| {
            scratch.record(rec, all(&ub), all(&eb), all(&valid), all(&state))
        })?)
    } else {
        None
    };
    Ok(DenseRow {
        experts: e,
        k,
        tokens: t,
        unified_score_ms: score,
        unified_select_ms: unified,
        token_choice_select_ms: per_row_ms,
        expert_choice_ms: expert_choice,
    })
}

/// The OmniMoE layer under each mode: staged GPU time (median) and the routing's telemetry.
pub(super) fn layer_modes(
    ctx: &Context,
    config: OmniMoeConfig,
    args: &RoutingBenchArgs,
) -> Result<Vec<LayerRow>> {
    let k = config.num_experts_per_token as f64;
    let w = OmniMoeWeights::random(config, 1)?;
    let x = SplitMix64::new(2).normals(args.tokens * config.hidden_size);
    let options = LayerOptions {
        precision: if args.f16 && ctx.caps.shader_f16 {
            Precision::F16
        } else {
            Precision::F32
        },
        ..Default::default()
    };
    let layer = OmniMoeLayer::new(ctx, &w, &options)?;
    let modes: Vec<(String, Routing)> = vec![
        ("token-choice".into(), Routing::token_choice()),
        ("unified".into(), Routing::unified(0.25 * k)),
        ("unified".into(), Routing::unified(0.5 * k)),
        ("unified".into(), Routing::unified(k)),
        (
            "expert-choice".into(),
            Routing {
                mode: RoutingMode::ExpertChoice,
                ..Default::default()
            },
        ),
    ];
    let mut rows = Vec::new();
    let plain = layer.prepare(args.tokens)?;
    let t = plain.write_input(&x)?;
    for (mode, routing) in modes {
        // Token choice: the plain prepared forward; the other modes: a prepared routed forward. Each is
        // timed on a busy GPU: one pass (Total) for the GPU time, a pass per stage for the breakdown.
        let prepared = match routing.mode {
            RoutingMode::TokenChoice => None,
            _ => Some(layer.prepare_routed(&x, &routing)?),
        };
        let run = |timing: Timing| -> Result<Option<omnimoe::gpu::stages::PassTimes>> {
            match &prepared {
                Some(p) => p.run(timing),
                None => {
                    let mut encoder = ctx.device.create_command_encoder(&Default::default());
                    let times = plain.encode(&mut encoder, t, timing)?;
                    ctx.queue.submit([encoder.finish()]);
                    Ok(times)
                }
            }
        };
        keep_busy(ctx, WARM_MS, || run(Timing::Off).map(|_| ()))?;
        let mut totals = Vec::new();
        let mut staged: std::collections::BTreeMap<&'static str, Vec<f64>> = Default::default();
        for _ in 0..args.runs {
            if let Some(times) = run(Timing::Total)? {
                totals.push(pollster::block_on(times.read(ctx))?.1);
            }
            if let Some(times) = run(Timing::PerStage)? {
                let (stages, _) = pollster::block_on(times.read(ctx))?;
                let mut sums: std::collections::BTreeMap<&'static str, f64> = Default::default();
                for (label, ms) in stages {
                    *sums.entry(label).or_default() += ms;
                }
                for (label, ms) in sums {
                    staged.entry(label).or_default().push(ms);
                }
            }
        }
        let stages: std::collections::BTreeMap<String, f64> = staged
            .into_iter()
            .map(|(l, v)| (l.to_string(), median(v)))
            .collect();
        let sum = |f: &dyn Fn(&str) -> bool| {
            stages
                .iter()
                .filter(|(l, _)| f(l))
                .map(|(_, ms)| ms)
                .sum::<f64>()
        };
        let routed: Routed = match &prepared {
            Some(p) => pollster::block_on(p.read())?.routed,
            None => {
                let out = pollster::block_on(plain.read(t))?;
                Routed::top_k(config.num_experts_per_token, out.indices, out.scores)
            }
        };
        let stats = routed.stats(config.num_experts, config.num_experts_per_token);
        let (load_max, load_mean, unused) = stats.load_summary();
        let row = LayerRow {
            mode,
            budget: routing.budget,
            gpu_ms: median(totals),
            staged_gpu_ms: sum(&|_| true),
            selection_ms: sum(&|l| !l.starts_with("dense") && !EXPERT_STAGE.contains(&l)),
            expert_stage_ms: sum(&|l| EXPERT_STAGE.contains(&l)),
            stages,
            pairs: stats.pairs,
            expert_flops_vs_top_k: stats.expert_flops_vs_top_k,
            starved_tokens: stats.starved_tokens,
            max_experts_per_token: routed.max_per_token(),
            experts_per_token: stats.experts_per_token.clone(),
            expert_load_max: load_max,
            expert_load_mean: load_mean,
            experts_unused: unused,
        };
        println!(
            "layer {:14} budget {:>6}: {:.4} ms GPU, staged {:.4} (routing {:.4}, experts {:.4}), {} pairs \
             ({:.2}× top-K), {} starved tokens, up to {} experts a token",
            row.mode,
            row.budget.map_or("K".into(), |b| format!("{b}")),
            row.gpu_ms,
            row.staged_gpu_ms,
            row.selection_ms,
            row.expert_stage_ms,
            row.pairs,
            row.expert_flops_vs_top_k,
            row.starved_tokens,
            row.max_experts_per_token
        );
        println!("    stages: {:?}", row.stages);
        rows.push(row);
    }
    Ok(rows)
}

/// The dense-router MoE layer under each mode: wall time of a forward (median) and telemetry.
pub(super) fn dense_moe_modes(
    ctx: &Context,
    config: omnimoe::dense_moe::DenseMoeConfig,
    args: &RoutingBenchArgs,
) -> Result<Vec<DenseMoeRow>> {
    let w = omnimoe::dense_moe::DenseMoeWeights::random(config, 3)?;
    let layer = omnimoe::gpu::dense_moe::DenseMoeLayer::new(ctx, &w)?;
    let x = SplitMix64::new(4).normals(args.tokens * config.hidden_size);
    let k = config.top_k as f64;
    let modes = [
        ("token-choice", Routing::token_choice()),
        ("unified", Routing::unified(0.5 * k)),
        ("unified", Routing::unified(k)),
        (
            "expert-choice",
            Routing {
                mode: RoutingMode::ExpertChoice,
                ..Default::default()
            },
        ),
    ];
    let mut rows = Vec::new();
    for (mode, routing) in modes {
        let start = std::time::Instant::now();
        while start.elapsed().as_secs_f64() * 1e3 < WARM_MS {
            layer.forward_blocking(&x, &routing, 0.5)?;
        }
        let mut walls = Vec::new();
        let mut last = None;
        for _ in 0..args.runs {
            let t0 = std::time::Instant::now();
            let out = layer.forward_blocking(&x, &routing, 0.5)?;
            walls.push(t0.elapsed().as_secs_f64() * 1e3);
            last = Some(out.routed);
        }
        let routed = last.unwrap_or_default();
        let stats = routed.stats(config.num_experts, config.top_k);
        let (load_max, _, unused) = stats.load_summary();
        let row = DenseMoeRow {
            mode: mode.into(),
            budget: routing.budget,
            wall_ms: median(walls),
            pairs: stats.pairs,
            starved_tokens: stats.starved_tokens,
            max_experts_per_token: routed.max_per_token(),
            expert_load_max: load_max,
            experts_unused: unused,
        };
        println!(
            "dense-router MoE {:14} budget {:>6}: {:.3} ms a forward (wall), {} pairs, {} starved, up to \
             {} experts a token, busiest expert {}",
            row.mode,
            row.budget.map_or("k".into(), |b| format!("{b}")),
            row.wall_ms,
            row.pairs,
            row.starved_tokens,
            row.max_experts_per_token,
            row.expert_load_max
        );
        rows.push(row);
    }
    Ok(rows)
}
