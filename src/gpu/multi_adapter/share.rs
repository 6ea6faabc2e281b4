//! An adapter's share of a multi-adapter forward: its ragged pairs on its device, the runs of tokens
//! whose experts fit its cache, and the recording of its expert stage.

use super::super::buffers::{self, elem_bytes, Bind};
use super::super::residency::CacheStats;
use super::super::stages::{self, Recorder, Table};
use super::{MultiAdapterLayer, Shard, Tables};
use crate::caee::Plan;
use crate::Result;

impl<'a> MultiAdapterLayer<'a> {
    /// Token ranges to run one after another: all T at once without caches, else runs as long as every
    /// cached adapter's distinct experts fit its slots (a token alone that does not fit is an error).
    pub(super) fn token_runs(
        &self,
        per_adapter: &[(Vec<u32>, Vec<u32>, Vec<f32>)],
        t: usize,
    ) -> Vec<(usize, usize)> {
        let slots: Vec<Option<usize>> = self
            .shards
            .iter()
            .map(|s| match &s.tables {
                Tables::All { .. } => None,
                Tables::Cached(c) => Some(c.lock().unwrap().slots()),
            })
            .collect();
        if slots.iter().all(Option::is_none) || t == 0 {
            return vec![(0, t)];
        }
        let mut runs = Vec::new();
        let mut seen: Vec<std::collections::HashSet<u32>> = vec![Default::default(); slots.len()];
        let mut start = 0;
        for tok in 0..t {
            let fits = |seen: &[std::collections::HashSet<u32>]| {
                per_adapter
                    .iter()
                    .zip(&slots)
                    .zip(seen)
                    .all(|(((o, e, _), s), seen)| {
                        let Some(s) = s else { return true };
                        let new = e[o[tok] as usize..o[tok + 1] as usize]
                            .iter()
                            .filter(|x| !seen.contains(x))
                            .collect::<std::collections::HashSet<_>>()
                            .len();
                        seen.len() + new <= *s
                    })
            };
            if !fits(&seen) {
                if tok == start {
                    // A single token needs more experts than slots: admit() names the numbers.
                    break;
                }
                runs.push((start, tok));
                start = tok;
                seen.iter_mut().for_each(|s| s.clear());
            }
            for ((o, e, _), seen) in per_adapter.iter().zip(seen.iter_mut()) {
                seen.extend(&e[o[tok] as usize..o[tok + 1] as usize]);
            }
        }
        runs.push((start, t));
        runs
    }

    /// Uploads one adapter's share: x, its ragged pairs, and room for h and its expert output; with a
    /// cache, its experts made resident first (their rows are then the cache's slots), with the hits
    /// and misses that took.
    pub(super) fn share_buffers(
        &self,
        shard: &Shard<'a>,
        x: &[f32],
        t: usize,
        (offsets, experts, scores): &(Vec<u32>, Vec<u32>, Vec<f32>),
        factors: Option<&[f32]>,
    ) -> Result<(ShareBuffers, CacheStats)> {
        let ctx = shard.ctx;
        ctx.check_alive()?;
        let u32s = |v: &[u32]| bytemuck::cast_slice::<u32, u8>(v).to_vec();
        let (rows, up, down, stats) = match &shard.tables {
            Tables::All { up, down } => (
                experts.clone(),
                up.clone(),
                down.clone(),
                CacheStats::default(),
            ),
            Tables::Cached(cache) => {
                let mut cache = cache.lock().unwrap();
                let before = cache.stats();
                let slots = cache.admit(ctx, experts)?;
                let after = cache.stats();
                let stats = CacheStats {
                    hits: after.hits - before.hits,
                    misses: after.misses - before.misses,
                    uploaded_bytes: after.uploaded_bytes - before.uploaded_bytes,
                };
                (slots, cache.up.clone(), cache.down.clone(), stats)
            }
        };
        // Buffers may not be empty: a share with no pairs binds one unused element.
        let pairs = rows.len().max(1);
        let mut e = rows;
        e.resize(pairs, 0);
        let mut s = scores.clone();
        s.resize(pairs, 0.0);
        let b = ShareBuffers {
            up,
            down,
            x: buffers::upload(ctx, "shard x", &elem_bytes(x, self.f16)),
            offsets: buffers::upload(ctx, "shard offsets", &u32s(offsets)),
            experts: buffers::upload(ctx, "shard experts", &u32s(&e)),
            scores: buffers::upload(ctx, "shard scores", &elem_bytes(&s, false)),
            h: buffers::storage(ctx, "shard h", pairs as u64 * 4),
            sparse: buffers::storage(ctx, "shard sparse", (t * self.hidden) as u64 * 4),
            compensate: factors
                .map(|f| buffers::upload(ctx, "shard compensation", &elem_bytes(f, false))),
        };
        Ok((b, stats))
    }

    /// Records one adapter's ragged expert stage over its share.
    pub(super) fn record_share<'b>(
        &'b self,
        rec: &mut Recorder<'b>,
        b: &'b ShareBuffers,
        t: usize,
    ) {
        stages::expert_ragged(
            rec,
            self.f16,
            (t as u32, self.hidden as u32),
            Bind::all(&b.x),
            Table::one(&b.up),
            Table::one(&b.down),
            Bind::all(&b.offsets),
            Bind::all(&b.experts),
            Bind::all(&b.scores),
            Bind::all(&b.h),
            Bind::all(&b.sparse),
            b.compensate.as_ref().map(Bind::all),
        );
    }
}

/// The router's output, the plan and each adapter's ragged pairs ([`MultiAdapterLayer::shares`]).
pub(super) struct Shares {
    pub(super) routed: crate::gpu::HostOutput,
    pub(super) plan: Option<Plan>,
    pub(super) removed_weight: f64,
    pub(super) per_adapter: Vec<(Vec<u32>, Vec<u32>, Vec<f32>)>,
    /// Each token's compensation factor, where pruning ran.
    pub(super) factors: Option<Vec<f32>>,
}

/// One adapter's share on its device, and the expert tables it reads.
pub(super) struct ShareBuffers {
    pub(super) up: wgpu::Buffer,
    pub(super) down: wgpu::Buffer,
    pub(super) x: wgpu::Buffer,
    pub(super) offsets: wgpu::Buffer,
    pub(super) experts: wgpu::Buffer,
    pub(super) scores: wgpu::Buffer,
    pub(super) h: wgpu::Buffer,
    pub(super) sparse: wgpu::Buffer,
    /// Each token's compensation factor (combine's COMPENSATE), where pruning ran.
    pub(super) compensate: Option<wgpu::Buffer>,
}

/// Tokens `t0 .. t1` of an adapter's share (offsets, experts, scores), the offsets rebased to 0.
pub(super) fn run_of(
    (offsets, experts, scores): &(Vec<u32>, Vec<u32>, Vec<f32>),
    t0: usize,
    t1: usize,
) -> (Vec<u32>, Vec<u32>, Vec<f32>) {
    let (p0, p1) = (offsets[t0] as usize, offsets[t1] as usize);
    (
        offsets[t0..=t1].iter().map(|&o| o - offsets[t0]).collect(),
        experts[p0..p1].to_vec(),
        scores[p0..p1].to_vec(),
    )
}
