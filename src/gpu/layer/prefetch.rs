//! Weights read into the last-level cache ahead of the GEMMs that need them ([`stages::prefetch`]), where a
//! forward's GEMMs stream their weights (up to [`PREFETCH_MAX_TOKENS`] tokens): the layer's down weight
//! beside its gate/up GEMM, and in a prepared stack the next layer's gate/up weight beside this layer's
//! expert stage. Each prefetch is recorded first in its pass's slot and takes over that pass's barrier
//! ([`Recorder::readable_from_next`]), so that its workgroups launch first and the pass's fill the rest
//! of the GPU (recorded after the pass, it waited for the pass's last workgroups to launch: on an H100
//! slower than none). Native adapters only (a browser orders dispatches itself, so there a prefetch
//! would only add a pass). The forward's results are the same bits with or without.

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

/// The next layer of a prepared stack, whose gate/up weight a layer prefetches beside its expert stage,
/// and the sink of that prefetch.
#[derive(Clone, Copy)]
pub(crate) struct NextLayer<'a> {
    pub layer: &'a OmniMoeLayer<'a>,
    pub sink: &'a wgpu::Buffer,
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

    /// Records, where a forward of `tokens` tokens prefetches, the prefetch of `next`'s gate/up weight
    /// ahead of this layer's expert stage writing `out`: the buffers that stage reads from earlier passes
    /// become readable at the prefetch, so that the stage itself needs no barrier and runs beside it. Not
    /// where the stage adds onto an output written earlier in the forward (`AddTo`: that write-after-write
    /// barrier stays with the stage).
    pub(super) fn record_next_prefetch<'a>(
        &self,
        rec: &mut Recorder<'a>,
        tokens: usize,
        next: Option<NextLayer<'a>>,
        (scores, indices, out): (Bind<'a>, Bind<'a>, &stages::ExpertOut<'a>),
    ) {
        let Some(next) = next else { return };
        let Some((_, w)) = next.layer.w_gate_up_router.single() else {
            return;
        };
        if !(prefetch_env().next && self.prefetches(tokens) && next.layer.prefetches(tokens)) {
            return;
        }
        let base = match out {
            stages::ExpertOut::AddElem { base, .. } => base.buffer,
            stages::ExpertOut::AddPartials { partials, .. } => partials.buf.buffer,
            stages::ExpertOut::AddTo(_) | stages::ExpertOut::Store(_) => return,
        };
        for buffer in [scores.buffer, indices.buffer, base] {
            rec.readable_from_next(buffer);
        }
        stages::prefetch(rec, w, w.size(), Bind::all(next.sink));
    }

    /// Records, where a forward of `tokens` tokens prefetches, the prefetch of this layer's down weight
    /// ahead of its gate/up GEMM reading `x`: `x` becomes readable at the prefetch, so that the GEMM needs
    /// no barrier and runs beside it.
    pub(super) fn record_down_prefetch<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        tokens: usize,
        x: &'a wgpu::Buffer,
        scratch: &'a Scratch,
    ) {
        if !(prefetch_env().down && self.prefetches(tokens)) {
            return;
        }
        if let Some((_, w)) = self.w_down.single() {
            rec.readable_from_next(x);
            stages::prefetch(rec, w, w.size(), Bind::all(&scratch.prefetch_sink));
        }
    }
}
