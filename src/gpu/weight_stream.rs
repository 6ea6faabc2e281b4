//! How fast a GEMM streams its weights: the dispatch that reads B (the partial products where the layer
//! splits it over K, without their reduction), repeated back to back in one compute pass on several
//! copies of B that together exceed the GPU's last-level cache, so that each repetition reads its
//! weights from device memory as a forward does, and timed by the pass's two timestamps: no per-pass
//! overhead in the figure, but the barrier between dependent dispatches that a forward has too. For the
//! decode kernels (GEMV, skinny, few-row tiles), whose time is their weights' bytes: `omnimoe bench
//! --sweep tokens` reports it per GEMM as `gemm_stream`.

use super::buffers::{self, elem_bytes, Bind};
use super::context::Context;
use super::recorder::Timing;
use super::stages::{self, GemmKernel, Recorder};
use super::tune::{record_gemm, TuneEpilogue};
use crate::Result;

/// Repetitions in the timed pass.
const REPS: usize = 32;
/// Timed passes; the fastest counts.
const ROUNDS: usize = 5;
/// Untimed passes first, for the working clock.
const WARM: usize = 20;

/// Milliseconds one (m, n, k) GEMM through `kernel`, split over `splits` K ranges as a layer plans it
/// ([`stages::split_within`]), takes to run in a chain of its kind (see the module). `epilogue` is the
/// shape's in the layer; a split GEMM runs its partial products only. `None` where the adapter has no
/// timestamps.
pub async fn stream_ms(
    ctx: &Context,
    kernel: GemmKernel,
    splits: u32,
    (m, n, k): (u32, u32, u32),
    epilogue: TuneEpilogue,
) -> Result<Option<f64>> {
    if !ctx.caps.timestamp_query {
        return Ok(None);
    }
    let f16 = kernel.is_f16();
    let ramp = |len: usize| {
        (0..len)
            .map(|i| ((i % 13) as f32 - 6.0) / 16.0)
            .collect::<Vec<_>>()
    };
    let b_bytes = elem_bytes(&ramp((n * k) as usize), f16);
    // `OMNIMOE_STREAM_COPIES=1` (a measuring aid): one copy, read from the cache after its first pass.
    let copies = super::measuring::env_count("OMNIMOE_STREAM_COPIES").map_or_else(
        || buffers::rotation_copies(b_bytes.len() as u64),
        |n| n as usize,
    );
    let a = buffers::upload(ctx, "stream a", &elem_bytes(&ramp((m * k) as usize), f16));
    let bs = buffers::upload_copies(ctx, "stream b", &b_bytes, copies);
    let c = buffers::storage(ctx, "stream c", m as u64 * n as u64 * 4);
    let d = buffers::storage(ctx, "stream d", m as u64 * n as u64 * 4);
    let partial_bytes = if stages::runs_split(kernel, splits) {
        stages::split_k_partial_len(kernel, (m, n, k), splits) * 4
    } else {
        4
    };
    let partial = buffers::storage(ctx, "stream partial", partial_bytes);
    let mut rec = Recorder::new(ctx);
    for i in 0..REPS {
        let bufs = (&a, &bs[i % copies], &c, &d, &partial);
        record_gemm(
            &mut rec,
            (kernel, splits),
            "stream",
            (m, n, k),
            bufs,
            epilogue,
            false,
        );
    }
    chain_ms(ctx, rec).await
}

/// Milliseconds a kernel that only reads (`shaders/read_probe.wgsl`) takes to read `bytes` (rounded up
/// to 16) from device memory in a chain of its kind, as [`stream_ms`] times a GEMM: the ceiling of a
/// weight-streaming GEMM of that many bytes. Timed with each of `per_wg` 16-byte words a workgroup on the
/// same copies; the fastest, with its words a workgroup. `None` where the adapter has no timestamps (or
/// `per_wg` is empty).
pub async fn read_ms(ctx: &Context, bytes: u64, per_wg: &[u32]) -> Result<Option<(f64, u32)>> {
    if !ctx.caps.timestamp_query {
        return Ok(None);
    }
    let words = bytes.div_ceil(16).max(1);
    if words * 16 > ctx.binding_bytes() {
        return Err(crate::Error::Limit {
            what: "read_ms's buffer (bytes)".into(),
            needed: words * 16,
            allowed: ctx.binding_bytes(),
        });
    }
    let words = words as u32;
    let copies = buffers::rotation_copies(words as u64 * 16);
    let data: Vec<u32> = (0..words * 4).collect();
    let srcs = buffers::upload_copies(ctx, "read src", bytemuck::cast_slice(&data), copies);
    let fewest = per_wg.iter().copied().min().unwrap_or(1).max(1);
    let out = buffers::storage(ctx, "read out", words.div_ceil(fewest) as u64 * 4);
    let mut best: Option<(f64, u32)> = None;
    for &per_wg in per_wg {
        let mut rec = Recorder::new(ctx);
        for i in 0..REPS {
            let (src, dst) = (Bind::all(&srcs[i % copies]), Bind::all(&out));
            stages::read_probe(&mut rec, "read", (words, per_wg), src, dst);
        }
        if let Some(ms) = chain_ms(ctx, rec).await? {
            if best.is_none_or(|(b, _)| ms < b) {
                best = Some((ms, per_wg));
            }
        }
    }
    Ok(best)
}

/// Milliseconds per dispatch of `rec` ([`REPS`] dispatches in one compute pass), the fastest of
/// [`ROUNDS`] timed passes after [`WARM`] untimed ones.
async fn chain_ms(ctx: &Context, rec: Recorder<'_>) -> Result<Option<f64>> {
    let frozen = rec.freeze();
    let mut best = f64::MAX;
    for round in 0..WARM + ROUNDS {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let times = frozen.encode(ctx, &mut encoder, Timing::Total);
        ctx.queue.submit([encoder.finish()]);
        buffers::wait(ctx)?;
        if round >= WARM {
            if let Some(t) = times {
                best = best.min(t.read(ctx).await?.1 / REPS as f64);
            }
        }
    }
    ctx.check_alive()?;
    Ok((best < f64::MAX).then_some(best))
}
