//! Calibration of the CAEE cost model ([`crate::cost`]) on a context's adapter: GPU timestamps of the
//! expert stages at controlled numbers of tokens per expert, and host-to-device upload times of expert
//! rows, each fitted flat-then-linear with its error on held-out sizes.

use super::buffers::{self, elem_bytes, Bind};
use super::context::Context;
use super::stages::{self, Recorder, ScoresSchedule, Table};
use crate::cost::{CostModel, StageCost};
use crate::{Error, Result};

/// What [`calibrate`] measures.
#[derive(Clone, Debug)]
pub struct CalibrateOptions {
    /// H: the length of an expert vector.
    pub hidden: u32,
    /// Experts that each get the same number of tokens (a multiple of `top_k`).
    pub experts: u32,
    /// K: slots per token.
    pub top_k: u32,
    /// Tokens per expert to time the expert stages at (ascending; every other one is held out).
    pub tokens_per_expert: Vec<u32>,
    /// Experts per upload batch to time (ascending; every other one held out). Native only: the web
    /// has no blocking wait to time an upload by.
    pub upload_batches: Vec<u32>,
    /// Timed repetitions of each size; the fastest counts.
    pub reps: usize,
}

impl Default for CalibrateOptions {
    /// The README configuration's H and K over 1024 experts; 1 to 256 tokens per expert, 1 to 1024 experts
    /// per upload.
    fn default() -> Self {
        CalibrateOptions {
            hidden: 1024,
            experts: 1024,
            top_k: 16,
            tokens_per_expert: vec![1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256],
            upload_batches: vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
            reps: 5,
        }
    }
}

impl CalibrateOptions {
    fn check(&self) -> Result<()> {
        let bad = |field: &'static str, reason: &str| {
            Err(Error::Config {
                field,
                reason: reason.to_string(),
            })
        };
        if self.hidden == 0 || self.top_k == 0 || self.reps == 0 {
            return bad("hidden / top_k / reps", "must be at least 1");
        }
        if self.experts == 0 || !self.experts.is_multiple_of(self.top_k) {
            return bad("experts", "must be a positive multiple of top_k");
        }
        if self.tokens_per_expert.len() < 4 || self.tokens_per_expert.contains(&0) {
            return bad(
                "tokens_per_expert",
                "needs at least 4 sizes, each at least 1",
            );
        }
        if self.upload_batches.contains(&0) {
            return bad("upload_batches", "sizes must be at least 1");
        }
        Ok(())
    }
}

/// Measures and fits `expert_scores` (expert-centric: one workgroup per expert), `expert_combine` (per
/// token over its slots) and `expert_ragged` (both as the ragged token-centric pair of passes that
/// [`super::multi_adapter`] runs on each adapter) as milliseconds per expert against tokens per expert, for f32 and (where
/// the adapter has SHADER_F16) f16 storage, and `upload` as milliseconds per batch of expert rows (u and
/// v) against experts per batch. Sustained work comes first, so the GPU is timed at its working clock.
pub async fn calibrate(ctx: &Context, options: &CalibrateOptions) -> Result<CostModel> {
    options.check()?;
    if !ctx.caps.timestamp_query {
        return Err(Error::Gpu(format!(
            "{} has no GPU timestamps to calibrate with",
            ctx.info.name
        )));
    }
    let dtypes: &[bool] = if ctx.caps.shader_f16 {
        &[false, true]
    } else {
        &[false]
    };
    let mut stages_out = Vec::new();
    for &f16 in dtypes {
        let mut scores_points = Vec::new();
        let mut combine_points = Vec::new();
        // Every size's buffers first: the host work of making them would let the clock drop again.
        let setups: Vec<Setup> = options
            .tokens_per_expert
            .iter()
            .map(|&n| setup(ctx, options, f16, n))
            .collect();
        let largest = setups.iter().max_by_key(|s| s.t).expect("sizes checked");
        warm_up(ctx, options, f16, largest).await?;
        let times = time_expert_stages(ctx, options, f16, &setups).await?;
        let per = options.experts as f64;
        let mut ragged_points = Vec::new();
        for (&n, (scores_ms, combine_ms, ragged_ms)) in options.tokens_per_expert.iter().zip(times)
        {
            scores_points.push((n as f64, scores_ms / per));
            combine_points.push((n as f64, combine_ms / per));
            ragged_points.push((n as f64, ragged_ms / per));
        }
        for (stage, points) in [
            ("expert_scores", scores_points),
            ("expert_combine", combine_points),
            ("expert_ragged", ragged_points),
        ] {
            stages_out.push(fitted(stage, f16, points)?);
        }
        #[cfg(not(target_arch = "wasm32"))]
        if options.upload_batches.len() >= 4 {
            let points = time_uploads(ctx, options, f16)?;
            stages_out.push(fitted("upload", f16, points)?);
        }
    }
    Ok(CostModel {
        adapter: ctx.info.name.clone(),
        hidden: options.hidden as usize,
        stages: stages_out,
    })
}

/// Blocking [`calibrate`] for native code.
#[cfg(not(target_arch = "wasm32"))]
pub fn calibrate_blocking(ctx: &Context, options: &CalibrateOptions) -> Result<CostModel> {
    pollster::block_on(calibrate(ctx, options))
}

fn fitted(stage: &str, f16: bool, points: Vec<(f64, f64)>) -> Result<StageCost> {
    StageCost::fit(stage, f16, points.clone()).ok_or_else(|| {
        Error::Gpu(format!(
            "calibration of {stage}: no fit to the measurements {points:?}"
        ))
    })
}

/// The buffers of one expert-stage measurement: E experts with n tokens each.
struct Setup {
    t: u32,
    x: wgpu::Buffer,
    up: wgpu::Buffer,
    down: wgpu::Buffer,
    scores: wgpu::Buffer,
    indices: wgpu::Buffer,
    offset: wgpu::Buffer,
    perm: wgpu::Buffer,
    /// Token t's pairs at t·K ..: the ragged stage's offsets.
    token_offsets: wgpu::Buffer,
    h: wgpu::Buffer,
    out: wgpu::Buffer,
}

/// Pair p (token p / K, slot p % K) goes to expert p / n: every expert gets n consecutive pairs.
fn setup(ctx: &Context, o: &CalibrateOptions, f16: bool, n: u32) -> Setup {
    let (e, k, hd) = (o.experts, o.top_k, o.hidden as usize);
    let pairs = e * n;
    let t = pairs / k;
    let indices: Vec<u32> = (0..pairs).map(|p| p / n).collect();
    // The pairs are in expert order already: expert e's start at e·n, and the sort is the identity.
    let offset: Vec<u32> = (0..=e).map(|x| x * n).collect();
    let perm: Vec<u32> = (0..pairs).collect();
    let mut rng = crate::rng::SplitMix64::new(u64::from(n));
    let x = rng.normals(t as usize * hd);
    let up = rng.normals(e as usize * hd);
    let down = rng.normals(e as usize * hd);
    let u32s = |v: &[u32]| bytemuck::cast_slice::<u32, u8>(v).to_vec();
    Setup {
        t,
        x: buffers::upload(ctx, "calibrate x", &elem_bytes(&x, f16)),
        up: buffers::upload(ctx, "calibrate u", &elem_bytes(&up, f16)),
        down: buffers::upload(ctx, "calibrate v", &elem_bytes(&down, f16)),
        scores: buffers::upload(
            ctx,
            "calibrate scores",
            &elem_bytes(&vec![-1.0; pairs as usize], false),
        ),
        indices: buffers::upload(ctx, "calibrate indices", &u32s(&indices)),
        offset: buffers::upload(ctx, "calibrate offset", &u32s(&offset)),
        perm: buffers::upload(ctx, "calibrate perm", &u32s(&perm)),
        token_offsets: buffers::upload(
            ctx,
            "calibrate token offsets",
            &u32s(&(0..=t).map(|i| i * k).collect::<Vec<u32>>()),
        ),
        h: buffers::storage(ctx, "calibrate h", pairs as u64 * 4),
        out: buffers::storage(ctx, "calibrate out", t as u64 * o.hidden as u64 * 4),
    }
}

/// Records the two expert stages of `s` `reps` times.
fn record<'a>(rec: &mut Recorder<'a>, o: &CalibrateOptions, f16: bool, s: &'a Setup) {
    let dims = (s.t, o.hidden, o.top_k, o.experts);
    for _ in 0..o.reps {
        let schedule = ScoresSchedule::ExpertCentric {
            offset: Bind::all(&s.offset),
            perm: Bind::all(&s.perm),
        };
        let (x, scores, h) = (Bind::all(&s.x), Bind::all(&s.scores), Bind::all(&s.h));
        stages::expert_scores(rec, f16, dims, x, Table::one(&s.up), scores, h, schedule);
        let (h, indices, out) = (Bind::all(&s.h), Bind::all(&s.indices), Bind::all(&s.out));
        let dims = (s.t, o.hidden, o.top_k);
        let out = stages::ExpertOut::Store(out);
        stages::expert_combine(rec, f16, dims, h, indices, Table::one(&s.down), out);
        stages::expert_ragged(
            rec,
            f16,
            (s.t, o.hidden),
            Bind::all(&s.x),
            Table::one(&s.up),
            Table::one(&s.down),
            Bind::all(&s.token_offsets),
            Bind::all(&s.indices),
            Bind::all(&s.scores),
            Bind::all(&s.h),
            Bind::all(&s.out),
            None,
        );
    }
}

/// About 300 ms of untimed expert stages on `s` (native; one round on the web).
async fn warm_up(ctx: &Context, o: &CalibrateOptions, f16: bool, s: &Setup) -> Result<()> {
    #[cfg(not(target_arch = "wasm32"))]
    let start = std::time::Instant::now();
    loop {
        let mut rec = Recorder::new(ctx);
        record(&mut rec, o, f16, s);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        rec.encode(&mut encoder, false);
        ctx.queue.submit([encoder.finish()]);
        buffers::wait(ctx)?;
        #[cfg(not(target_arch = "wasm32"))]
        if start.elapsed().as_secs_f64() < 0.3 {
            continue;
        }
        break;
    }
    ctx.check_alive()
}

/// The fastest repetition of each stage on each of `setups` (the sizes of `o.tokens_per_expert`), in
/// milliseconds (GPU timestamps). All sizes go in one submission, right after the warm-up: between submissions of a few
/// microseconds of work the GPU drops its clock (an H100 measured the larger sizes 5× slow that way).
async fn time_expert_stages(
    ctx: &Context,
    o: &CalibrateOptions,
    f16: bool,
    setups: &[Setup],
) -> Result<Vec<(f64, f64, f64)>> {
    let mut rec = Recorder::new(ctx);
    for s in setups {
        record(&mut rec, o, f16, s);
    }
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    let times = rec.encode(&mut encoder, true);
    ctx.queue.submit([encoder.finish()]);
    buffers::wait(ctx)?;
    let Some(times) = times else {
        return Err(Error::Gpu("no pass times came back".into()));
    };
    // One pass per dispatch (the labels alternate): per size, `reps` × (scores, combine, and the ragged
    // stage's scores and combine).
    let (passes, _) = times.read(ctx).await?;
    let per_size = 4 * o.reps;
    if passes.len() != per_size * setups.len() {
        return Err(Error::Gpu(format!(
            "calibration: {} timed passes for {} sizes",
            passes.len(),
            setups.len()
        )));
    }
    Ok(passes
        .chunks(per_size)
        .map(|size| {
            let (mut scores, mut combine, mut ragged) = (f64::MAX, f64::MAX, f64::MAX);
            for rep in size.chunks(4) {
                scores = scores.min(rep[0].1);
                combine = combine.min(rep[1].1);
                ragged = ragged.min(rep[2].1 + rep[3].1);
            }
            (scores, combine, ragged)
        })
        .collect())
}

/// Host-to-device upload of `b` experts' rows (u and v) per batch: write, submit, wait; the fastest of
/// `reps` by the host clock, in milliseconds.
#[cfg(not(target_arch = "wasm32"))]
fn time_uploads(ctx: &Context, o: &CalibrateOptions, f16: bool) -> Result<Vec<(f64, f64)>> {
    let most = *o.upload_batches.iter().max().unwrap_or(&1) as usize;
    let row = o.hidden as usize;
    let data = elem_bytes(&crate::rng::SplitMix64::new(9).normals(2 * most * row), f16);
    let target = buffers::storage(ctx, "calibrate upload", data.len() as u64);
    let mut points = Vec::new();
    for &b in &o.upload_batches {
        let bytes = &data[..data.len() / most * b as usize];
        let mut best = f64::MAX;
        for _ in 0..o.reps {
            let start = std::time::Instant::now();
            ctx.queue.write_buffer(&target, 0, bytes);
            ctx.queue.submit([]);
            buffers::wait(ctx)?;
            best = best.min(start.elapsed().as_secs_f64() * 1e3);
        }
        points.push((b as f64, best));
    }
    ctx.check_alive()?;
    Ok(points)
}
