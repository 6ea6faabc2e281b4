//! The buffers unified routing's selection records into, owned ([`RouteScratch`]): made once for a
//! number of tokens, candidates, group size and experts, then recorded as [`route_select`] or
//! [`route_expert_choice`] over them and read back.

use super::super::buffers::{self, Bind};
use super::super::context::Context;
use super::super::recorder::Recorder;
use super::counting_sort::ScatterScratch;
use super::route::{
    expert_choice_buckets, route_expert_choice, route_select, ExpertChoiceBuffers, RouteBuffers,
};
use crate::routing::Routed;

/// The buffers a selection records into, owned: [`RouteBuffers`] but its inputs, and expert choice's
/// scratch. [`RouteScratch::record`] runs [`route_select`] or [`route_expert_choice`] over them.
pub struct RouteScratch {
    dims: (u32, u32, u32, u32),
    hist: wgpu::Buffer,
    counts: wgpu::Buffer,
    offsets: wgpu::Buffer,
    sums: wgpu::Buffer,
    pair_experts: wgpu::Buffer,
    pair_scores: wgpu::Buffer,
    staged_experts: wgpu::Buffer,
    staged_scores: wgpu::Buffer,
    pair_tokens: wgpu::Buffer,
    max_pairs: u32,
    expert_choice: Option<ExpertChoiceScratch>,
}

struct ExpertChoiceScratch {
    keys: wgpu::Buffer,
    count: wgpu::Buffer,
    bucket_start: wgpu::Buffer,
    scatter: ScatterScratch,
    keep: wgpu::Buffer,
}

impl RouteScratch {
    /// Scratch for `t` tokens of `m` candidates in groups of `s` tokens over `n` experts, with room for
    /// `max_pairs` kept pairs; with `expert_choice` the counting sort's too.
    pub fn new(
        ctx: &Context,
        (t, m, s, n): (u32, u32, u32, u32),
        max_pairs: u64,
        expert_choice: bool,
    ) -> Self {
        let b = |label, bytes: u64| buffers::storage(ctx, label, bytes.max(4));
        let (t64, cand) = (t as u64, t as u64 * m as u64);
        let groups = t.div_ceil(s.max(1));
        let pairs = max_pairs.max(1) * 4;
        RouteScratch {
            dims: (t, m, s, n),
            hist: b("route histogram", groups as u64 * 256 * 4),
            counts: b("pairs per token", t64 * 4),
            offsets: b("pair offsets", (t64 + 1) * 4),
            sums: b("scan sums", 1024 * 4),
            pair_experts: b("pair experts", pairs),
            pair_scores: b("pair scores", pairs),
            staged_experts: b("staged pair experts", pairs),
            staged_scores: b("staged pair scores", pairs),
            pair_tokens: b("pair tokens", pairs),
            max_pairs: max_pairs.max(1) as u32,
            expert_choice: expert_choice.then(|| {
                let buckets = expert_choice_buckets(groups, n);
                ExpertChoiceScratch {
                    keys: b("bucket keys", cand * 4),
                    count: b("bucket count", buckets * 4),
                    bucket_start: b("bucket start", (buckets + 1) * 4),
                    scatter: ScatterScratch::new(ctx, cand as u32),
                    keep: b("kept candidates", cand * 4),
                }
            }),
        }
    }

    /// Records the selection of the candidates `scores` and `experts` `[t, m]` (ascending experts per
    /// token) with per-token `valid` flags and the groups' `state` ([`route_state`](super::route_state)): expert choice where
    /// the scratch was made for it, else the unified top-c.
    pub fn record<'a>(
        &'a self,
        rec: &mut Recorder<'a>,
        scores: Bind<'a>,
        experts: Bind<'a>,
        valid: Bind<'a>,
        state: Bind<'a>,
    ) {
        let all = Bind::all;
        let (t, m, s, n) = self.dims;
        let b = RouteBuffers {
            scores,
            experts,
            valid,
            state,
            hist: all(&self.hist),
            counts: all(&self.counts),
            offsets: all(&self.offsets),
            sums: all(&self.sums),
            pair_experts: all(&self.pair_experts),
            pair_scores: all(&self.pair_scores),
            staged_experts: all(&self.staged_experts),
            staged_scores: all(&self.staged_scores),
            pair_tokens: all(&self.pair_tokens),
            max_pairs: self.max_pairs,
        };
        match &self.expert_choice {
            Some(e) => {
                let scratch = ExpertChoiceBuffers {
                    keys: all(&e.keys),
                    count: all(&e.count),
                    bucket_start: all(&e.bucket_start),
                    scatter: &e.scatter,
                    keep: all(&e.keep),
                };
                route_expert_choice(rec, (t, m, s, n), b, scratch);
            }
            None => route_select(rec, (t, m, s), b),
        }
    }

    /// Offsets `[t + 1]` of each token's pairs.
    pub fn offsets(&self) -> &wgpu::Buffer {
        &self.offsets
    }

    /// The kept pairs' experts and scores, best first per token.
    pub fn pairs(&self) -> (&wgpu::Buffer, &wgpu::Buffer) {
        (&self.pair_experts, &self.pair_scores)
    }

    /// Room of the pair buffers, in pairs.
    pub fn max_pairs(&self) -> u32 {
        self.max_pairs
    }

    /// Reads the last selection back: offsets, experts and scores.
    pub async fn read(&self, ctx: &Context) -> crate::Result<Routed> {
        let t = self.dims.0 as usize;
        let offsets = buffers::read_u32(ctx, &self.offsets, 0, t + 1).await?;
        let pairs = offsets[t] as usize;
        Ok(Routed {
            experts: buffers::read_u32(ctx, &self.pair_experts, 0, pairs).await?,
            scores: buffers::read_f32(ctx, &self.pair_scores, 0, pairs).await?,
            offsets,
        })
    }
}
