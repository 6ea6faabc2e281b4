//! Autotune: for each GEMM shape a layer runs, time the kernel's candidate configurations (K step, a
//! pipeline constant; tile shape, a preprocessing flag) on the context's adapter and keep the fastest. Results live in the context, so every layer on the same
//! adapter reuses them; untuned shapes use the kernel's default K step.

use std::collections::HashMap;
use std::sync::Mutex;

use super::buffers::{self, elem_bytes};
use super::context::Context;
use super::stages::{self, EpilogueKind, GemmKernel, Recorder};
use crate::Result;

mod record;
pub(crate) use record::record_gemm;
use record::{record_one, split_plan};

/// Repetitions of each candidate in a round; the fastest counts.
const REPS: usize = 3;
/// Rounds over all candidates.
const ROUNDS: usize = 3;
/// Milliseconds of untimed GEMMs before the rounds, and the most submits they take.
#[cfg(not(target_arch = "wasm32"))]
const WARM_MS: f64 = 400.0;
#[cfg(not(target_arch = "wasm32"))]
const WARM_SUBMITS: usize = 400;
const LABELS: [&str; REPS] = ["tune 0", "tune 1", "tune 2"];

/// Rows up to which a GEMM counts as few-row (decode and small batches): the autotune keeps separate
/// choices for few-row and many-row GEMMs of one (N, K), since what is fastest differs (on an H100 the
/// 64-row tile at 64 to 128 rows, 256-row tiles at 4096: BENCHMARKS.md).
pub const FEW_ROWS: u32 = stages::SPLIT_K_MAX_M;

/// Rows up to which a few-row GEMM is of the fewest classes, kept apart by the autotune: one row of
/// 64-row tiles (on an H100 the gate/up GEMM's fastest tile at 64 rows, 64 × 64, was the slowest at 128:
/// BENCHMARKS.md), and within it [`HALF_TILE_ROWS`].
pub const FEWEST_ROWS: u32 = 64;

/// Rows up to which a few-row GEMM is of a class of its own: one row of 32-row tiles (on an H100 at 32
/// rows the 32 × 64 tiles beat the 64 × 64 ones, which at 64 rows beat them: BENCHMARKS.md).
pub const HALF_TILE_ROWS: u32 = 32;

/// m's class of rows, what the autotune keeps a choice for apart: 0 up to [`HALF_TILE_ROWS`], 1 up to
/// [`FEWEST_ROWS`], 2 up to [`FEW_ROWS`], 3 above.
pub fn row_class(m: u32) -> u8 {
    if m <= HALF_TILE_ROWS {
        0
    } else if m <= FEWEST_ROWS {
        1
    } else if m <= FEW_ROWS {
        2
    } else {
        3
    }
}

/// The configuration chosen per (kernel family, N, K, class of rows), kept per context
/// ([`Context::cache`]).
#[derive(Default)]
pub(crate) struct Tuned {
    map: Mutex<HashMap<(GemmKernel, u32, u32, u8), GemmKernel>>,
}

impl Tuned {
    /// The configuration tuned for (n, k) at m's class of rows ([`row_class`]), or `kernel` as given when
    /// that shape was not tuned.
    pub fn kernel(&self, kernel: GemmKernel, shape: (u32, u32, u32)) -> GemmKernel {
        let key = Self::key(kernel, shape);
        self.map
            .lock()
            .unwrap()
            .get(&key)
            .copied()
            .unwrap_or(kernel)
    }

    pub(crate) fn set(&self, shape: (u32, u32, u32), chosen: GemmKernel) {
        self.map
            .lock()
            .unwrap()
            .insert(Self::key(chosen, shape), chosen);
    }

    /// What a choice is kept under: the kernel's family, N, K and M's class of rows.
    fn key(kernel: GemmKernel, (m, n, k): (u32, u32, u32)) -> (GemmKernel, u32, u32, u8) {
        (kernel.family(), n, k, row_class(m))
    }
}

/// What the autotune measured for one GEMM shape.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneResult {
    /// (M, N, K) timed.
    pub shape: (u32, u32, u32),
    /// The configuration chosen.
    pub chosen: GemmKernel,
    /// Milliseconds per candidate (GPU timestamps, or wall clock without them).
    pub candidates: Vec<(GemmKernel, f64)>,
    /// Candidates the adapter's compiler rejected ([`Context::compiles`]).
    pub rejected: Vec<GemmKernel>,
}

/// The epilogue a tuned GEMM shape runs with in the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TuneEpilogue {
    /// SwiGLU over interleaved columns (the gate/up GEMM).
    SwiGlu,
    /// Adds an f32 matrix (the down GEMM and its expert branch).
    Add,
}

impl TuneEpilogue {
    /// Every epilogue the layer runs this shape with: gate/up with or without router columns (timed
    /// without), down into f32 or into the storage type (inside a prepared stack).
    pub fn uses(self) -> &'static [EpilogueKind] {
        match self {
            TuneEpilogue::SwiGlu => &[EpilogueKind::SwiGlu, EpilogueKind::SwiGluRouter],
            TuneEpilogue::Add => &[EpilogueKind::Add, EpilogueKind::AddElem],
        }
    }
}

/// Most workgroup memory the configuration of a few-row down projection may declare: it runs beside the
/// router, and a larger one keeps them apart. On an H100 at 256 tokens (BENCHMARKS.md,
/// `h100-run-early/run173.sh`) the autotune chose 128 × 128 tiles (45 KiB), faster alone (19.8 against
/// 22.0 µs from device memory), but the layer took 0.0757–0.0763 ms with them against 0.0705 with the
/// 64 × 128 tiles (19 KiB); at 128 tokens the 64 × 64 tiles (38 KiB) ran beside it. (The skinny kernel
/// keeps within ~36 KiB there for the same reason: `stages::skinny_workgroup_bytes`.)
pub const BESIDE_ROUTER_BYTES: u32 = 40 * 1024;

/// Whether `kernel` keeps within [`BESIDE_ROUTER_BYTES`] (the cooperative-matrix-2 kernel, whose staging
/// the driver sizes and which runs split-K GEMMs as the default tile, does not count as within).
fn fits_beside_router(kernel: GemmKernel) -> bool {
    match kernel {
        GemmKernel::Coop(config) => {
            !config.tile.is_nv() && config.workgroup_bytes() <= BESIDE_ROUTER_BYTES
        }
        _ => true,
    }
}

/// Times `kernel`'s candidate configurations on an (m, n, k) GEMM with `epilogue` and records the fastest
/// for (n, k) at m's class of rows in `ctx`. Each candidate runs as a layer would run it: split over K
/// where [`stages::split_k`] splits it (few rows, or stream-K), with the reduction pass. A few-row down
/// projection (`Add`) only tries configurations that fit beside the router ([`BESIDE_ROUTER_BYTES`])
/// where it has any; a down projection of more rows also tries stream-K on the SIMT kernel
/// ([`GemmKernel::stream_k_candidates`]).
pub async fn tune_gemm(
    ctx: &Context,
    kernel: GemmKernel,
    (m, n, k): (u32, u32, u32),
    epilogue: TuneEpilogue,
) -> Result<TuneResult> {
    let f16 = kernel.is_f16();
    let ramp = |len: usize| {
        (0..len)
            .map(|i| ((i % 17) as f32 - 8.0) / 16.0)
            .collect::<Vec<_>>()
    };
    let a = buffers::upload(ctx, "tune a", &elem_bytes(&ramp((m * k) as usize), f16));
    // Up to FEW_ROWS rows a GEMM's time is mostly its weights' trip from device memory, which a model's
    // layers each make. Timed on one copy, read from the cache after the first repetition, the
    // candidates ranked otherwise: on an H100 at 32–128 rows the autotune chose configurations 15–20%
    // slower from memory, the layer 0.0372 → 0.0419 ms at 64 tokens (BENCHMARKS.md). So few-row
    // candidates read copies of B in turn that together exceed the cache.
    let b_bytes = elem_bytes(&ramp((n * k) as usize), f16);
    let copies = if m <= FEW_ROWS {
        buffers::rotation_copies(b_bytes.len() as u64)
    } else {
        1
    };
    let bs = buffers::upload_copies(ctx, "tune b", &b_bytes, copies);
    let c = buffers::storage(ctx, "tune c", m as u64 * n as u64 * 4);
    let d = buffers::storage(ctx, "tune d", m as u64 * n as u64 * 4);
    let mut rejected = Vec::new();
    // A candidate counts only if the driver compiles every variant the layer may dispatch with it.
    let kinds = epilogue.uses();
    let mut usable = Vec::new();
    let workgroup_bytes = ctx.limits.max_compute_workgroup_storage_size;
    let mut candidates = kernel.candidates(&ctx.caps, workgroup_bytes);
    // Stream-K for the down projection, whose few hundred tiles at prefill sizes may come a few short of
    // a GPU's places (the gate/up GEMM's, eight times as many, fill their waves). `OMNIMOE_NO_STREAM_K=1`,
    // a measuring aid, leaves it out.
    if epilogue == TuneEpilogue::Add && !super::measuring::env_set("OMNIMOE_NO_STREAM_K") {
        candidates.extend(kernel.stream_k_candidates((m, n, k), workgroup_bytes));
    }
    if epilogue == TuneEpilogue::Add
        && m <= FEW_ROWS
        && candidates.iter().any(|&c| fits_beside_router(c))
    {
        candidates.retain(|&c| fits_beside_router(c));
    }
    for candidate in candidates {
        let mut compiles = true;
        for (stage, variant) in stages::gemm_uses(&ctx.caps, candidate, (m, n, k), kinds) {
            compiles &= ctx.compiles(stage, "main", &variant).await;
        }
        if compiles {
            usable.push(candidate);
        } else {
            rejected.push(candidate);
        }
    }
    // Rounds over all candidates, the fastest repetition of each round kept: a slow spell of the GPU
    // (clocks, a neighbour) then lands on every candidate alike instead of on those timed during it.
    let mut best = vec![f64::MAX; usable.len()];
    // Split-K scratch for the candidates the layer would split.
    let partial_len = usable
        .iter()
        .map(|&cand| split_plan(ctx, cand, (m, n, k)).1)
        .max()
        .unwrap_or(0);
    let partial = buffers::storage(ctx, "tune partial", partial_len.max(4));
    // The buffers of the n-th timed GEMM (its copy of B).
    let bufs = |n: usize| (&a, &bs[n % copies], &c, &d, &partial);
    let mut turn = 0;
    // Sustained work first: GPUs keep a low clock under bursty work (an H100 sits at 345–705 MHz until
    // about half a second of steady load), and the candidates should be timed at the working clock.
    // (Native only: in a browser there is no clock to bound it by.)
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(&first) = usable.first() {
        let start = now_ms();
        for _ in 0..WARM_SUBMITS {
            let mut rec = Recorder::new(ctx);
            for label in LABELS {
                record_one(&mut rec, first, label, (m, n, k), bufs(turn), epilogue);
                turn += 1;
            }
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            rec.encode(&mut encoder, false);
            ctx.queue.submit([encoder.finish()]);
            buffers::wait(ctx)?;
            if now_ms() - start >= WARM_MS {
                break;
            }
        }
    }
    for _ in 0..ROUNDS {
        if ctx.caps.timestamp_query {
            // The whole round in one submit, a timed pass per repetition: the GPU stays busy (and at
            // its working clock) from the first candidate to the last.
            let mut rec = Recorder::new(ctx);
            for &candidate in &usable {
                for label in LABELS {
                    record_one(&mut rec, candidate, label, (m, n, k), bufs(turn), epilogue);
                    turn += 1;
                }
            }
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            let times = rec.encode(&mut encoder, true);
            ctx.queue.submit([encoder.finish()]);
            buffers::wait(ctx)?;
            if let Some(t) = times {
                let passes = t.read(ctx).await?.0;
                for (i, (_, ms)) in passes.iter().enumerate() {
                    let slot = &mut best[i / REPS];
                    *slot = slot.min(*ms);
                }
            }
        } else {
            for (slot, &candidate) in best.iter_mut().zip(&usable) {
                let mut rec = Recorder::new(ctx);
                for label in LABELS {
                    record_one(&mut rec, candidate, label, (m, n, k), bufs(turn), epilogue);
                    turn += 1;
                }
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                let start = now_ms();
                rec.encode(&mut encoder, false);
                ctx.queue.submit([encoder.finish()]);
                buffers::wait(ctx)?;
                *slot = slot.min((now_ms() - start) / REPS as f64);
            }
        }
    }
    let candidates: Vec<(GemmKernel, f64)> = usable.into_iter().zip(best).collect();
    ctx.check_alive()?;
    let Some(&(best, _)) = candidates.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else {
        return Err(crate::Error::Gpu(format!(
            "the driver compiles none of the GEMM configurations for {m}x{n}x{k}"
        )));
    };
    ctx.cache::<Tuned>().set((m, n, k), best);
    log::info!("tuned {kernel:?} at {m}x{n}x{k}: {candidates:?} -> {best:?}");
    Ok(TuneResult {
        shape: (m, n, k),
        chosen: best,
        candidates,
        rejected,
    })
}

/// Milliseconds on a monotonic clock (native only; on the web the passes' timestamps are used, or
/// reports 0).
fn now_ms() -> f64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::OnceLock;
        static T0: OnceLock<std::time::Instant> = OnceLock::new();
        T0.get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1e3
    }
    #[cfg(target_arch = "wasm32")]
    {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_classes_part_at_32_64_and_256_rows() {
        let classes: Vec<u8> = [1, 32, 33, 64, 65, FEW_ROWS, FEW_ROWS + 1, 4096]
            .map(row_class)
            .to_vec();
        assert_eq!(classes, [0, 0, 1, 1, 2, 2, 3, 3]);
    }

    #[test]
    fn beside_the_router_the_few_row_tiles_fit_and_the_square_ones_do_not() {
        use stages::{CoopConfig, CoopTile};
        let coop = |tile, k_step| {
            GemmKernel::Coop(CoopConfig {
                tile,
                k_step,
                ..CoopConfig::DEFAULT
            })
        };
        assert!(fits_beside_router(coop(CoopTile::Half, 64)));
        assert!(fits_beside_router(coop(CoopTile::Quarter, 128)));
        assert!(fits_beside_router(coop(CoopTile::Quarter8, 64)));
        assert!(!fits_beside_router(coop(CoopTile::Quarter8, 128)));
        assert!(fits_beside_router(coop(CoopTile::Quarter8Turns, 128)));
        assert!(fits_beside_router(coop(CoopTile::Half8, 64)));
        assert!(!fits_beside_router(coop(CoopTile::Square, 64)));
        assert!(!fits_beside_router(coop(CoopTile::NvSquare, 32)));
    }
}
