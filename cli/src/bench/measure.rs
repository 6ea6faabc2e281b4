//! One layer measured for `omnimoe bench`: its stages' GPU times (a timed pass each), the whole forward's
//! span and wall time, the same layer prepared, and each stage's arithmetic and minimum traffic.

use std::collections::BTreeMap;
use std::time::Instant;

use indicatif::ProgressBar;
use omnimoe::gpu::{Context, ExpertSchedule, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::rng::SplitMix64;
use omnimoe::{OmniMoeConfig, OmniMoeWeights, Result};

use super::{BenchArgs, Dtype};
use crate::timing::{keep_busy, median, time_prepared, PreparedTimes, WARM_MS};

const EXPERT_STAGES: [&str; 6] = [
    "expert_histogram",
    "expert_scan",
    "expert_scatter",
    "expert_scores",
    "expert_combine",
    "expert_token",
];

/// Median of per-run stage times and spans of one layer.
pub(super) struct Measured {
    pub(super) stages: Vec<(String, f64)>,
    pub(super) span_ms: f64,
    pub(super) wall_ms: f64,
    /// The same layer prepared ([`omnimoe::gpu::PreparedForward`]).
    pub(super) prepared: PreparedTimes,
    pub(super) touched: usize,
    /// FNV-1a of the output's f32 bits ([`digest`]).
    pub(super) output_digest: String,
    pub(super) tuning: Vec<omnimoe::gpu::tune::TuneResult>,
    /// The layer's GEMMs timed alone on weights from device memory (`stream`: up to
    /// [`STREAM_MAX_TOKENS`], in token sweeps and at the bench's own T).
    pub(super) gemm_stream: Vec<GemmStream>,
}

/// Tokens up to which the bench (its own T and a token sweep's points) times the layer's GEMMs alone
/// ([`GemmStream`]): decode and small batches, where a GEMM's time is its weights' bytes.
pub(super) const STREAM_MAX_TOKENS: usize = 256;

/// One of the layer's GEMMs timed alone, as the layer plans it, on weights read from device memory
/// ([`omnimoe::gpu::weight_stream::stream_ms`]).
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub(super) struct GemmStream {
    /// "gate_up" or "down".
    pub(super) gemm: String,
    /// (M, N, K).
    pub(super) shape: (u32, u32, u32),
    /// The kernel and its configuration.
    pub(super) kernel: String,
    /// K ranges (the partial products are timed, not their reduction).
    pub(super) splits: u32,
    pub(super) ms: f64,
    /// The weights' bytes (N · K elements; absent before the twenty-second session).
    #[serde(default)]
    pub(super) weight_bytes: u64,
    /// The weights' bytes over `ms`.
    pub(super) weight_gbps: f64,
}

/// [`GemmStream`] of each of `layer`'s GEMMs at `tokens` tokens (none where the adapter has no
/// timestamps).
fn gemm_stream(layer: &OmniMoeLayer, tokens: usize) -> Result<Vec<GemmStream>> {
    let mut out = Vec::new();
    for (name, plan) in ["gate_up", "down"]
        .into_iter()
        .zip(layer.gemm_plans(tokens))
    {
        let ms = pollster::block_on(omnimoe::gpu::weight_stream::stream_ms(
            layer.context(),
            plan.kernel,
            plan.splits,
            plan.shape,
            plan.epilogue,
        ))?;
        let Some(ms) = ms else { continue };
        let (_, n, k) = plan.shape;
        let es = if plan.kernel.is_f16() { 2 } else { 4 };
        let weight_bytes = n as u64 * k as u64 * es;
        out.push(GemmStream {
            gemm: name.to_string(),
            shape: plan.shape,
            kernel: format!("{:?}", plan.kernel),
            splits: plan.splits,
            ms,
            weight_bytes,
            weight_gbps: weight_bytes as f64 / 1e6 / ms,
        });
    }
    Ok(out)
}

/// Both schedules on the same weights and input, back to back: the expert-centric one (`None` where its
/// counting sort cannot take N, beyond 2^20) and the token-centric one.
pub(super) fn measure_both(
    ctx: &Context,
    args: &BenchArgs,
    bar: &ProgressBar,
    tokens: usize,
    config: OmniMoeConfig,
) -> Result<(Option<Measured>, Measured)> {
    let w = OmniMoeWeights::random(config, 1)?;
    let x = SplitMix64::new(2).normals(tokens * config.hidden_size);
    let run = |schedule, stream| {
        let options = options(args.dtype, schedule);
        measure(ctx, &w, &x, &options, args, bar, stream)
    };
    let ec = if config.num_experts <= omnimoe::gpu::layer::MAX_EXPERTS_EXPERT_CENTRIC {
        Some(run(ExpertSchedule::ExpertCentric, false)?)
    } else {
        None
    };
    let stream = !matches!(args.sweep, Some(super::Sweep::Experts)) && tokens <= STREAM_MAX_TOKENS;
    Ok((ec, run(ExpertSchedule::TokenCentric, stream)?))
}

fn measure(
    ctx: &Context,
    w: &OmniMoeWeights,
    x: &[f32],
    options: &LayerOptions,
    args: &BenchArgs,
    bar: &ProgressBar,
    stream: bool,
) -> Result<Measured> {
    let layer = OmniMoeLayer::new(ctx, w, options)?;
    let (t, input) = layer.upload_input(x)?;
    let out = layer.outputs(t);
    let forward = |stamps| pollster::block_on(layer.forward(&input, &out, stamps));
    let tuning = if args.no_autotune {
        Vec::new()
    } else {
        // The candidates are timed on a busy GPU too.
        keep_busy(ctx, WARM_MS, || forward(false).map(|_| ()))?;
        pollster::block_on(layer.autotune(t))?
    };
    for _ in 0..args.warmup {
        forward(false)?;
    }
    keep_busy(ctx, WARM_MS, || forward(false).map(|_| ()))?;
    let read = pollster::block_on(layer.read(&out))?;
    let output_digest = digest(&read.output);
    let indices = read.indices;
    let mut touched = vec![false; w.config.num_experts];
    indices.iter().for_each(|&e| touched[e as usize] = true);
    let mut per_stage: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut order: Vec<&'static str> = Vec::new();
    let (mut spans, mut walls) = (Vec::new(), Vec::new());
    for _ in 0..args.runs {
        let start = Instant::now();
        let times = forward(ctx.caps.timestamp_query)?;
        omnimoe::gpu::buffers::wait(ctx)?;
        walls.push(start.elapsed().as_secs_f64() * 1e3);
        if let Some(times) = times {
            let (passes, span) = pollster::block_on(times.read(ctx))?;
            spans.push(span);
            let mut run: BTreeMap<&'static str, f64> = BTreeMap::new();
            for (label, ms) in passes {
                if !order.contains(&label) {
                    order.push(label);
                }
                *run.entry(label).or_default() += ms;
            }
            for (l, ms) in run {
                per_stage.entry(l).or_default().push(ms);
            }
        }
        bar.inc(1);
    }
    let wall_ms = median(walls);
    let prepared = layer.prepare(t)?;
    prepared.write_input(x)?;
    let prepared = time_prepared(ctx, &prepared, t, args.warmup, args.runs)?;
    let gemm_stream = if stream {
        gemm_stream(&layer, t)?
    } else {
        Vec::new()
    };
    Ok(Measured {
        stages: order
            .iter()
            .map(|l| (l.to_string(), median(per_stage[l].clone())))
            .collect(),
        span_ms: if spans.is_empty() {
            wall_ms
        } else {
            median(spans)
        },
        wall_ms,
        prepared,
        touched: touched.iter().filter(|&&b| b).count(),
        output_digest,
        tuning,
        gemm_stream,
    })
}

/// 64-bit FNV-1a of `v`'s bits, as 16 hex digits: equal digests from two builds, adapters or measuring
/// aids mean (but for a collision) bitwise equal outputs.
pub(super) fn digest(v: &[f32]) -> String {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    for f in v {
        h.write(&f.to_bits().to_le_bytes());
    }
    format!("{:016x}", h.finish())
}

/// (GFLOP, MB) of a stage: arithmetic and the bytes it must move at least.
pub(super) fn stage_model(
    name: &str,
    c: &OmniMoeConfig,
    t: usize,
    es: f64,
    touched: usize,
) -> (f64, f64) {
    let (h, i, k, r, n) = (
        c.hidden_size as f64,
        c.intermediate_size as f64,
        c.num_experts_per_token as f64,
        c.grid() as f64,
        c.num_experts as f64,
    );
    let (t, u) = (t as f64, touched as f64);
    let pairs = t * k;
    let (flop, bytes) = match name {
        "router_normalise" => (0.0, 2.0 * t * 2.0 * r * 4.0),
        "router_topk" => (0.0, t * 2.0 * r * 4.0 + pairs * 8.0),
        "expert_histogram" => (0.0, pairs * 4.0 + n * 4.0),
        "expert_scan" => (0.0, n * 8.0),
        "expert_scatter" => (0.0, pairs * 16.0),
        "expert_scores" => (2.0 * pairs * h, t * h * es + u * h * es + pairs * 8.0),
        "expert_combine" => (2.0 * pairs * h, u * h * es + pairs * 8.0 + t * h * 4.0),
        "expert_token" => (
            4.0 * pairs * h,
            t * h * es + 2.0 * u * h * es + pairs * 8.0 + t * h * 4.0,
        ),
        "dense_gate_up_router" => (
            2.0 * t * (2.0 * i + 2.0 * r) * h,
            t * h * es + (2.0 * i + 2.0 * r) * h * es + t * i * es + t * 2.0 * r * 4.0,
        ),
        "dense_down" => (2.0 * t * h * i, t * i * es + h * i * es + 2.0 * t * h * 4.0),
        _ => (0.0, 0.0),
    };
    (flop / 1e9, bytes / 1e6)
}

pub(super) fn options(dtype: Dtype, schedule: ExpertSchedule) -> LayerOptions {
    LayerOptions {
        precision: if dtype == Dtype::F16 {
            Precision::F16
        } else {
            Precision::F32
        },
        schedule,
        ..Default::default()
    }
}

pub(super) fn expert_ms(m: &Measured) -> f64 {
    m.stages
        .iter()
        .filter(|(n, _)| EXPERT_STAGES.contains(&n.as_str()))
        .map(|(_, ms)| ms)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::digest;

    #[test]
    fn digest_is_fnv1a_of_the_bits() {
        // FNV-1a 64's offset basis for no bytes; the bits 0x61 are the bytes 61 00 00 00, folded here by
        // hand.
        assert_eq!(digest(&[]), "cbf29ce484222325");
        let a = 0xcbf2_9ce4_8422_2325u64 ^ 0x61;
        let a = (0..3).fold(a.wrapping_mul(0x0100_0000_01b3), |h, _| {
            h.wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!(digest(&[f32::from_bits(0x61)]), format!("{a:016x}"));
        // Equal values with other bits differ.
        assert_ne!(digest(&[0.0]), digest(&[-0.0]));
    }
}
