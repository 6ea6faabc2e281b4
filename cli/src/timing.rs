//! Timing of prepared forwards for `omnimoe bench`: GPU time of the forward as one compute pass (a
//! timestamp at its start and end), and wall time of one submit and wait with the output left on the GPU.

use std::time::Instant;

use omnimoe::gpu::{buffers, Context, PreparedForward, Timing};
use omnimoe::{OmniMoeConfig, Result};

/// Medians over the timed runs of a prepared forward.
#[derive(Clone, Copy, Debug)]
pub struct PreparedTimes {
    /// GPU ms of the whole forward (or stack), one compute pass.
    pub gpu_ms: f64,
    /// Wall ms of `run` + wait: the submit of a forward `run` encoded ahead (after the previous
    /// forward's submit, while the GPU ran it), completion.
    pub wall_ms: f64,
    /// Wall ms of `run` + [`buffers::wait_spin`] (the host polls instead of sleeping).
    pub wall_spin_ms: f64,
    /// Host ms to encode the frozen recording (encoder, pass, finish: done ahead in `run`, so not in the
    /// wall times since the twenty-first session), and to submit it.
    pub host_encode_ms: f64,
    pub host_submit_ms: f64,
    /// The floor under the wall times: an empty command buffer submitted and waited for, sleeping and
    /// polling (what the driver and the host take to start and finish a submission with no work).
    pub empty_submit_ms: f64,
    pub empty_submit_spin_ms: f64,
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

/// Milliseconds of back-to-back work before each timed measurement. GPUs lower their clocks when work
/// comes in short bursts with idle gaps (seen on the H100: 345–705 MHz instead of 1980 during the first
/// seconds of a run, every stage 2× slower), so each measurement starts on a busy GPU.
pub const WARM_MS: f64 = 300.0;

/// Runs `submit` (which queues work without waiting) back to back for `ms` milliseconds, waiting after
/// every eight, so the GPU is busy and at speed when the timing starts.
pub fn keep_busy(ctx: &Context, ms: f64, mut submit: impl FnMut() -> Result<()>) -> Result<()> {
    let start = Instant::now();
    loop {
        for _ in 0..8 {
            submit()?;
        }
        buffers::wait(ctx)?;
        if start.elapsed().as_secs_f64() * 1e3 >= ms {
            return Ok(());
        }
    }
}

/// Times `prepared` on its first `tokens` input rows (already written).
pub fn time_prepared(
    ctx: &Context,
    prepared: &PreparedForward,
    tokens: usize,
    warmup: usize,
    runs: usize,
) -> Result<PreparedTimes> {
    for _ in 0..warmup.max(1) {
        prepared.run(tokens)?;
    }
    keep_busy(ctx, WARM_MS, || prepared.run(tokens))?;
    // Wall ms of each of `runs` forwards, `wait` (sleeping or polling) for each.
    let walls_waiting = |wait: fn(&Context) -> Result<()>| -> Result<Vec<f64>> {
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                prepared.run(tokens)?;
                wait(ctx)?;
                Ok(start.elapsed().as_secs_f64() * 1e3)
            })
            .collect()
    };
    let walls = walls_waiting(buffers::wait)?;
    let spins = walls_waiting(buffers::wait_spin)?;
    let (mut encodes, mut submits) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        prepared.encode(&mut encoder, tokens, Timing::Off)?;
        let commands = encoder.finish();
        let encoded = Instant::now();
        ctx.queue.submit([commands]);
        let submitted = Instant::now();
        buffers::wait_spin(ctx)?;
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        encodes.push(ms(start, encoded));
        submits.push(ms(encoded, submitted));
    }
    let (mut empty, mut empty_spin) = (Vec::new(), Vec::new());
    for spin in [false, true] {
        for _ in 0..runs {
            let start = Instant::now();
            let encoder = ctx.device.create_command_encoder(&Default::default());
            ctx.queue.submit([encoder.finish()]);
            if spin {
                buffers::wait_spin(ctx)?;
                empty_spin.push(start.elapsed().as_secs_f64() * 1e3);
            } else {
                buffers::wait(ctx)?;
                empty.push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    let mut gpus = Vec::with_capacity(runs);
    if ctx.caps.timestamp_query {
        for _ in 0..runs {
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            let times = prepared.encode(&mut encoder, tokens, Timing::Total)?;
            ctx.queue.submit([encoder.finish()]);
            buffers::wait(ctx)?;
            if let Some(t) = times {
                gpus.push(pollster::block_on(t.read(ctx))?.1);
            }
        }
    }
    let wall_ms = median(walls);
    Ok(PreparedTimes {
        gpu_ms: if gpus.is_empty() {
            wall_ms
        } else {
            median(gpus)
        },
        wall_ms,
        wall_spin_ms: median(spins),
        host_encode_ms: median(encodes),
        host_submit_ms: median(submits),
        empty_submit_ms: median(empty),
        empty_submit_spin_ms: median(empty_spin),
    })
}

/// Bytes of weights a forward of one layer must read at least: the dense weights with the router keys,
/// and the expert rows (u and v) of the `touched` experts.
pub fn weight_bytes(c: &OmniMoeConfig, elem_bytes: f64, touched: usize) -> f64 {
    let (h, i, r) = (
        c.hidden_size as f64,
        c.intermediate_size as f64,
        c.grid() as f64,
    );
    ((2.0 * i + 2.0 * r) * h + h * i + 2.0 * touched as f64 * h) * elem_bytes
}
