//! Autotune: for each GEMM shape a layer runs, time the kernel's candidate configurations (K step, a
//! pipeline constant; tile shape, a preprocessing flag) on the context's adapter and keep the fastest. Results live in the context, so every layer on the same
//! adapter reuses them; untuned shapes use the kernel's default K step.

use std::collections::HashMap;
use std::sync::Mutex;

use super::buffers::{self, elem_bytes, Bind};
use super::context::Context;
use super::stages::{self, Epilogue, GemmKernel, Recorder};
use crate::Result;

/// Repetitions of each candidate; the fastest counts.
const REPS: usize = 3;
const LABELS: [&str; REPS] = ["tune 0", "tune 1", "tune 2"];

/// The configuration chosen per (kernel family, N, K).
#[derive(Default)]
pub(crate) struct Tuned {
    map: Mutex<HashMap<(GemmKernel, u32, u32), GemmKernel>>,
}

impl Tuned {
    /// The configuration tuned for (n, k), or `kernel` as given when that shape was not tuned.
    pub fn kernel(&self, kernel: GemmKernel, n: u32, k: u32) -> GemmKernel {
        let key = (kernel.family(), n, k);
        self.map
            .lock()
            .unwrap()
            .get(&key)
            .copied()
            .unwrap_or(kernel)
    }

    fn set(&self, n: u32, k: u32, chosen: GemmKernel) {
        self.map
            .lock()
            .unwrap()
            .insert((chosen.family(), n, k), chosen);
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
}

/// Times `kernel`'s candidate configurations on an (m, n, k) GEMM and records the fastest for (n, k) in
/// `ctx`.
pub async fn tune_gemm(
    ctx: &Context,
    kernel: GemmKernel,
    (m, n, k): (u32, u32, u32),
) -> Result<TuneResult> {
    let f16 = !matches!(kernel, GemmKernel::Simt { f16: false, .. });
    let ramp = |len: usize| {
        (0..len)
            .map(|i| ((i % 17) as f32 - 8.0) / 16.0)
            .collect::<Vec<_>>()
    };
    let a = buffers::upload(ctx, "tune a", &elem_bytes(&ramp((m * k) as usize), f16));
    let b = buffers::upload(ctx, "tune b", &elem_bytes(&ramp((n * k) as usize), f16));
    let c = buffers::storage(ctx, "tune c", m as u64 * n as u64 * 4);
    let mut candidates = Vec::new();
    for candidate in kernel.candidates() {
        let mut rec = Recorder::new(ctx);
        for label in LABELS {
            let (ab, bb, cb) = (Bind::all(&a), Bind::all(&b), Bind::all(&c));
            stages::gemm(
                &mut rec,
                label,
                candidate,
                (m, n, k),
                ab,
                bb,
                cb,
                Epilogue::Store,
            );
        }
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let start = now_ms();
        let times = rec.encode(&mut encoder, true);
        ctx.queue.submit([encoder.finish()]);
        buffers::wait(ctx)?;
        let ms = match times {
            Some(t) => t
                .read(ctx)
                .await?
                .0
                .iter()
                .map(|p| p.1)
                .fold(f64::MAX, f64::min),
            None => (now_ms() - start) / REPS as f64,
        };
        candidates.push((candidate, ms));
    }
    ctx.check_alive()?;
    let best = candidates
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0;
    ctx.tuned.set(n, k, best);
    log::info!("tuned {kernel:?} at {m}x{n}x{k}: {candidates:?} -> {best:?}");
    Ok(TuneResult {
        shape: (m, n, k),
        chosen: best,
        candidates,
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
