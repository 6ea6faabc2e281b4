//! What a layer is built with ([`LayerOptions`]: storage precision, expert schedule, limits) and the
//! largest N it takes.

use super::super::context::Context;
use super::super::stages;

/// Storage type of activations and weights on the GPU. Accumulation is always f32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// f32 everywhere.
    #[default]
    F32,
    /// f16 storage of x, weights and the dense intermediate (needs SHADER_F16); router and outputs in f32.
    F16,
}

/// How the expert scores walk the (token, expert) pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExpertSchedule {
    /// The layer chooses: see [`ExpertSchedule::resolve`].
    #[default]
    Auto,
    /// Pairs sorted by expert on the GPU; each expert's vector is fetched once for all its tokens.
    ExpertCentric,
    /// Each token fetches the vectors of its K experts (the PEER-style baseline).
    TokenCentric,
}

impl ExpertSchedule {
    /// The schedule `Auto` stands for on `ctx`.
    ///
    /// Measured so far (BENCHMARKS.md): on an H100 the token-centric schedule wins at every N from 1k to
    /// 256k and every T from 1 to 16k, because U and V stay in its 50 MB L2 or the gathers are served by
    /// it, while the expert-centric one pays for the sort and for its uneven work per expert; on lavapipe
    /// it wins too. Until an adapter and size are measured where the expert-centric schedule wins, `Auto`
    /// is token-centric everywhere; both stay tested and selectable.
    pub fn resolve(self, _ctx: &Context) -> ExpertSchedule {
        match self {
            ExpertSchedule::Auto => ExpertSchedule::TokenCentric,
            s => s,
        }
    }
}

/// Options of [`OmniMoeLayer::new`](super::OmniMoeLayer::new).
#[derive(Clone, Debug, Default)]
pub struct LayerOptions {
    /// Storage precision.
    pub precision: Precision,
    /// Expert schedule.
    pub schedule: ExpertSchedule,
    /// Upper bound on tokens per chunk (for tests of chunking); the adapter's limits bound it anyway.
    pub max_chunk_tokens: Option<usize>,
    /// Keep f16 GEMMs off the tensor cores even where cooperative matrices exist.
    pub no_cooperative_matrix: bool,
    /// Device memory the layer may take (weights and scratch): the token chunk shrinks to fit, and a layer
    /// whose weights and smallest chunk do not fit is refused with both sizes
    /// ([`Footprint`](crate::gpu::Footprint)).
    pub max_device_bytes: Option<u64>,
}

/// Largest N the GPU path takes: the router's grid side R = ⌊√N⌋ is at most 2048 (its sorts).
pub const MAX_EXPERTS: usize = 2049 * 2049 - 1;

/// Largest N of the expert-centric schedule (expert_scan's single-level bound).
pub const MAX_EXPERTS_EXPERT_CENTRIC: usize = stages::MAX_SCAN as usize;
