//! Weights read into the last-level cache ahead of the GEMMs that need them ([`stages::prefetch`]), where a
//! forward's GEMMs stream their weights (up to [`PREFETCH_MAX_TOKENS`] tokens): the layer's down weight
//! beside its gate/up GEMM, and in a prepared stack the next layer's gate/up weight beside this layer's
//! expert stage. Native adapters only (a browser orders dispatches itself, so there a prefetch would
//! only add a pass). The forward's results are the same bits with or without.

use std::sync::OnceLock;

use super::*;

/// Most tokens of a forward that prefetches (one chunk): beyond, the GEMMs' arithmetic, not their
/// weights, sets their time.
pub const PREFETCH_MAX_TOKENS: usize = 256;

/// Which prefetches a forward records: `OMNIMOE_PREFETCH=off|down|next|both` (a measuring aid; both by
/// default).
#[derive(Clone, Copy, Debug)]
struct PrefetchEnv {
    down: bool,
    next: bool,
}

fn prefetch_env() -> PrefetchEnv {
    static ENV: OnceLock<PrefetchEnv> = OnceLock::new();
    *ENV.get_or_init(|| {
        let v = std::env::var("OMNIMOE_PREFETCH");
        let (down, next) = match v.as_deref() {
            Ok("off") => (false, false),
            Ok("down") => (true, false),
            Ok("next") => (false, true),
            _ => (true, true),
        };
        PrefetchEnv { down, next }
    })
}

impl OmniMoeLayer<'_> {
    /// Whether a forward of `tokens` tokens prefetches weights on this adapter.
    fn prefetches(&self, tokens: usize) -> bool {
        !self.ctx.caps.browser && tokens <= PREFETCH_MAX_TOKENS.min(self.chunk)
    }

    /// Bytes of the sink of a prefetch of this layer's gate/up weight (a prepared stack keeps one per
    /// layer for the next one's), or `None` where it would not prefetch it: the weight in several
    /// bindings.
    pub(crate) fn gate_up_prefetch_sink_bytes(&self) -> Option<u64> {
        let (_, w) = self.w_gate_up_router.single()?;
        Some(stages::prefetch_sink_bytes(w.size()))
    }

    /// Bytes of the sink of a prefetch of this layer's down weight (in its scratch).
    pub(super) fn down_prefetch_sink_bytes(&self) -> u64 {
        self.w_down
            .single()
            .map_or(4, |(_, w)| stages::prefetch_sink_bytes(w.size()))
    }

    /// Records the prefetch of this layer's gate/up weight for a forward of `tokens` tokens into `sink`,
    /// if it prefetches: recorded after the previous layer's last pass, it runs beside that pass.
    pub(crate) fn record_gate_up_prefetch<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        tokens: usize,
        sink: &'a wgpu::Buffer,
    ) {
        if !(prefetch_env().next && self.prefetches(tokens)) {
            return;
        }
        if let Some((_, w)) = self.w_gate_up_router.single() {
            stages::prefetch(rec, w, w.size(), Bind::all(sink));
        }
    }

    /// Records the prefetch of this layer's down weight for a forward of `tokens` tokens, if it
    /// prefetches: recorded right after the gate/up GEMM (before anything makes its output readable), it
    /// runs beside that GEMM.
    pub(super) fn record_down_prefetch<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        tokens: usize,
        scratch: &'a Scratch,
    ) {
        if !(prefetch_env().down && self.prefetches(tokens)) {
            return;
        }
        if let Some((_, w)) = self.w_down.single() {
            stages::prefetch(rec, w, w.size(), Bind::all(&scratch.prefetch_sink));
        }
    }
}
