//! One OmniMoE layer over several adapters (CAEE, issue 12): the experts partitioned by a
//! [`Placement`]; the first adapter runs the dense MLP and the router, every adapter the expert stage of
//! its own experts' pairs (the ragged expert stage over its slice of the tables), and the host adds the
//! adapters' expert outputs to the dense output in adapter order, so the result is the same bits on every
//! run. Optionally [`crate::caee::plan`] prunes pairs on the adapter predicted slowest first, and the
//! combine kernel compensates the kept weights (each token's pairs times its routed weight over its kept
//! weight: `COMPENSATE` in `shaders/expert_combine.wgsl`, as [`crate::caee::compensate`] computes).
//!
//! The first adapter's layer has no expert tables and no expert stage
//! (`OmniMoeLayer::without_experts`): the dense output and the router come from the layer as it is.

use std::sync::Mutex;

use super::buffers::{self, elem_bytes};
use super::context::Context;
use super::layer::{LayerOptions, OmniMoeLayer, Precision};
use super::residency::{CacheStats, ExpertCache};
use super::stages::Recorder;
use crate::caee::{self, ExpertCost, Placement, Plan};
use crate::{Error, OmniMoeWeights, Result};

#[cfg(not(target_arch = "wasm32"))]
mod devices;
mod share;

#[cfg(not(target_arch = "wasm32"))]
pub use devices::{contexts, contexts_on};
use share::Shares;

/// The experts of one adapter: their rows of U and V, and where each global expert sits in them.
struct Shard<'a> {
    ctx: &'a Context,
    tables: Tables,
    /// Global expert → row in this shard's tables (`u32::MAX` where elsewhere).
    local: Vec<u32>,
}

/// A shard's expert rows on its device: all of them, or a cache of some ([`ExpertCache`]).
enum Tables {
    All {
        up: wgpu::Buffer,
        down: wgpu::Buffer,
    },
    Cached(Mutex<ExpertCache>),
}

/// Pruning for [`MultiAdapterLayer::forward`]: each token may lose up to `max_removed` of its routed
/// weight (θ retention = 1 − `max_removed`), decided with `cost`.
pub struct Prune<'a> {
    /// The per-token budget on removed weight, 0..=1.
    pub max_removed: f64,
    /// Predicted cost of an expert on each adapter.
    pub cost: &'a dyn ExpertCost,
}

/// What a forward over several adapters gives.
#[derive(Clone, Debug)]
pub struct MultiOutput {
    /// y `[T, H]`.
    pub output: Vec<f32>,
    /// The router's scores `[T, K]` (as routed, before any pruning).
    pub scores: Vec<f32>,
    /// The router's indices `[T, K]`.
    pub indices: Vec<u32>,
    /// GPU milliseconds of each adapter's expert stage (timestamps; 0 on adapters without them).
    pub per_adapter_ms: Vec<f64>,
    /// The adapter with the longest expert stage.
    pub critical_adapter: usize,
    /// Max over mean of `per_adapter_ms`.
    pub imbalance: f64,
    /// The pruning plan, where one ran.
    pub plan: Option<Plan>,
    /// Routing weight removed over all routed weight (0 without pruning).
    pub removed_weight: f64,
    /// Per adapter, this forward's hits and misses of its resident experts (zeros where all are).
    pub residency: Vec<CacheStats>,
}

/// An OmniMoE layer whose experts live on several adapters.
pub struct MultiAdapterLayer<'a> {
    primary: OmniMoeLayer<'a>,
    shards: Vec<Shard<'a>>,
    placement: Placement,
    k: usize,
    hidden: usize,
    f16: bool,
}

impl<'a> MultiAdapterLayer<'a> {
    /// The layer over `contexts` (the first runs the dense MLP and the router), experts placed by
    /// `placement` (one adapter per context); with `resident_experts` S, each adapter keeps at most S of
    /// its experts' rows on the device ([`ExpertCache`]) and the rest in host memory.
    pub fn new(
        contexts: &[&'a Context],
        weights: &OmniMoeWeights,
        placement: Placement,
        options: &LayerOptions,
        resident_experts: Option<usize>,
    ) -> Result<Self> {
        let c = weights.config;
        if contexts.is_empty() || placement.adapters() != contexts.len() {
            return Err(Error::Config {
                field: "placement",
                reason: format!(
                    "places experts on {} adapters, {} given",
                    placement.adapters(),
                    contexts.len()
                ),
            });
        }
        if placement.experts() != c.num_experts {
            return Err(Error::Config {
                field: "placement",
                reason: format!(
                    "places {} experts, the layer has {}",
                    placement.experts(),
                    c.num_experts
                ),
            });
        }
        let f16 = options.precision == Precision::F16;
        let h = c.hidden_size;
        let primary = OmniMoeLayer::without_experts(contexts[0], weights, options)?;
        let mut shards = Vec::new();
        for (a, ctx) in contexts.iter().enumerate() {
            if f16 && !ctx.caps.shader_f16 {
                return Err(Error::Config {
                    field: "precision",
                    reason: format!("f16 needs SHADER_F16, which {} lacks", ctx.info.name),
                });
            }
            let mine: Vec<usize> = (0..c.num_experts)
                .filter(|&e| placement.adapter(e as u32) == a)
                .collect();
            let mut local = vec![u32::MAX; c.num_experts];
            let (mut up, mut down) = (Vec::new(), Vec::new());
            for (row, &e) in mine.iter().enumerate() {
                local[e] = row as u32;
                up.extend_from_slice(&weights.up_embed[e * h..(e + 1) * h]);
                down.extend_from_slice(&weights.down_embed[e * h..(e + 1) * h]);
            }
            // An adapter with no experts still binds a (one-row) table.
            if mine.is_empty() {
                up = vec![0.0; h];
                down = vec![0.0; h];
            }
            let tables = match resident_experts {
                Some(slots) => {
                    let slots = slots.min(mine.len()).max(1);
                    Tables::Cached(Mutex::new(ExpertCache::new(
                        ctx, &up, &down, h, f16, slots,
                    )?))
                }
                None => Tables::All {
                    up: buffers::upload(ctx, "shard u", &elem_bytes(&up, f16)),
                    down: buffers::upload(ctx, "shard v", &elem_bytes(&down, f16)),
                },
            };
            shards.push(Shard { ctx, tables, local });
        }
        Ok(MultiAdapterLayer {
            primary,
            shards,
            placement,
            k: c.num_experts_per_token,
            hidden: h,
            f16,
        })
    }

    /// The placement.
    pub fn placement(&self) -> &Placement {
        &self.placement
    }

    /// The router's decisions for `x`, the plan where pruning, and each adapter's share: ragged offsets,
    /// its local expert rows and the scores of its kept pairs, in token and slot order; with a plan, each
    /// token's compensation factor.
    async fn shares(&self, x: &[f32], prune: Option<&Prune<'_>>) -> Result<Shares> {
        let routed = self.primary.forward_host(x).await?;
        let (t, k) = (routed.tokens, self.k);
        let weights: Vec<f32> = routed.scores.iter().map(|s| s.exp()).collect();
        let plan = match prune {
            Some(p) => Some(caee::plan(
                &routed.indices,
                &weights,
                k,
                &self.placement,
                Some(&self.resident()),
                p.cost,
                p.max_removed,
            )?),
            None => None,
        };
        // Routed weight over kept weight, per token (1 where nothing was pruned).
        let factors = plan
            .as_ref()
            .map(|plan| caee::compensation_factors(&weights, &plan.keep, k));
        let keep = |p: usize| plan.as_ref().is_none_or(|plan| plan.keep[p]);
        // One pass over the pairs, each to its expert's adapter.
        let mut per_adapter: Vec<(Vec<u32>, Vec<u32>, Vec<f32>)> =
            vec![(vec![0u32], Vec::new(), Vec::new()); self.shards.len()];
        for tok in 0..t {
            for p in tok * k..(tok + 1) * k {
                let e = routed.indices[p];
                if keep(p) {
                    let a = self.placement.adapter(e);
                    per_adapter[a].1.push(self.shards[a].local[e as usize]);
                    per_adapter[a].2.push(routed.scores[p]);
                }
            }
            for (offsets, experts, _) in &mut per_adapter {
                offsets.push(experts.len() as u32);
            }
        }
        let removed_weight = plan
            .as_ref()
            .map_or(0.0, |plan| plan.removed_fraction(&weights));
        Ok(Shares {
            routed,
            plan,
            removed_weight,
            per_adapter,
            factors,
        })
    }

    /// Per global expert, whether its rows are on its adapter now.
    fn resident(&self) -> Vec<bool> {
        (0..self.placement.experts())
            .map(|e| {
                let shard = &self.shards[self.placement.adapter(e as u32)];
                match &shard.tables {
                    Tables::All { .. } => true,
                    Tables::Cached(cache) => cache.lock().unwrap().is_resident(shard.local[e]),
                }
            })
            .collect()
    }

    /// y for `x` (`[T, H]`): dense MLP and router on the first adapter, each adapter's experts on it,
    /// with `prune` the pairs [`crate::caee::plan`] keeps, compensated. `per_adapter_ms` is each share's
    /// GPU time in this forward (see [`Self::time_shares`] for times at a steady clock).
    pub async fn forward(&self, x: &[f32], prune: Option<&Prune<'_>>) -> Result<MultiOutput> {
        let mut shares = self.shares(x, prune).await?;
        let t = shares.routed.tokens;
        let h = self.hidden;
        // The dense output, to which each adapter's expert output is added.
        let mut output = std::mem::take(&mut shares.routed.output);
        let mut per_adapter_ms = vec![0.0; self.shards.len()];
        let mut residency = vec![CacheStats::default(); self.shards.len()];
        // Where experts are cached, tokens go in runs whose experts fit every adapter's slots; each
        // token's sum is the same whichever run it is in.
        for (t0, t1) in self.token_runs(&shares.per_adapter, t) {
            let nt = t1 - t0;
            let mut jobs = Vec::new();
            for (a, (shard, share)) in self.shards.iter().zip(&shares.per_adapter).enumerate() {
                let run = share::run_of(share, t0, t1);
                let factors = shares.factors.as_ref().map(|f| &f[t0..t1]);
                let (b, stats) =
                    self.share_buffers(shard, &x[t0 * h..t1 * h], nt, &run, factors)?;
                let r = &mut residency[a];
                r.hits += stats.hits;
                r.misses += stats.misses;
                r.uploaded_bytes += stats.uploaded_bytes;
                let mut rec = Recorder::new(shard.ctx);
                self.record_share(&mut rec, &b, nt);
                let mut encoder = shard.ctx.device.create_command_encoder(&Default::default());
                let times = rec.encode(&mut encoder, shard.ctx.caps.timestamp_query);
                shard.ctx.queue.submit([encoder.finish()]);
                jobs.push((b, times));
            }
            // Every adapter's work is submitted before any is waited for: they run side by side.
            for (a, (shard, (b, times))) in self.shards.iter().zip(jobs).enumerate() {
                buffers::wait(shard.ctx)?;
                let sparse = buffers::read_f32(shard.ctx, &b.sparse, 0, nt * h).await?;
                for (y, s) in output[t0 * h..t1 * h].iter_mut().zip(&sparse) {
                    *y += s;
                }
                if let Some(times) = times {
                    per_adapter_ms[a] += times.read(shard.ctx).await?.1;
                }
            }
        }
        let (critical_adapter, imbalance) = caee::critical_and_imbalance(&per_adapter_ms);
        Ok(MultiOutput {
            output,
            scores: shares.routed.scores,
            indices: shares.routed.indices,
            per_adapter_ms,
            critical_adapter,
            imbalance,
            plan: shares.plan,
            removed_weight: shares.removed_weight,
            residency,
        })
    }

    /// Each adapter's expert stage for `x` (pruned as `prune` says) timed at a steady clock: its share
    /// recorded once, run back to back for `warm_ms` untimed (before an adapter's first run of tokens;
    /// its later runs follow at once), then `reps` times with GPU timestamps;
    /// the median per adapter, in milliseconds (0 without timestamps). GPUs drop their clocks between
    /// short bursts, which a forward's host round trips are (see BENCHMARKS.md).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn time_shares(
        &self,
        x: &[f32],
        prune: Option<&Prune<'_>>,
        warm_ms: f64,
        reps: usize,
    ) -> Result<Vec<f64>> {
        let shares = pollster::block_on(self.shares(x, prune))?;
        let t = shares.routed.tokens;
        let h = self.hidden;
        let runs = self.token_runs(&shares.per_adapter, t);
        let mut out = Vec::new();
        for (shard, share) in self.shards.iter().zip(&shares.per_adapter) {
            let ctx = shard.ctx;
            // With cached experts, each run of tokens after its experts are resident; times add up.
            let mut total = 0.0;
            for (i, &(t0, t1)) in runs.iter().enumerate() {
                let warm_ms = if i == 0 { warm_ms } else { 0.0 };
                let nt = t1 - t0;
                let run = share::run_of(share, t0, t1);
                let factors = shares.factors.as_ref().map(|f| &f[t0..t1]);
                let (b, _) = self.share_buffers(shard, &x[t0 * h..t1 * h], nt, &run, factors)?;
                let mut rec = Recorder::new(ctx);
                self.record_share(&mut rec, &b, nt);
                let frozen = rec.freeze();
                let start = std::time::Instant::now();
                while start.elapsed().as_secs_f64() * 1e3 < warm_ms {
                    let mut encoder = ctx.device.create_command_encoder(&Default::default());
                    for _ in 0..8 {
                        frozen.encode(ctx, &mut encoder, super::Timing::Off);
                    }
                    ctx.queue.submit([encoder.finish()]);
                    buffers::wait(ctx)?;
                }
                // The timed runs in one submission after eight untimed ones: a wait and a read-back
                // between runs would leave the GPU idle long enough to lower its clock again (seen on
                // the second of two H100s, whose only work this is: 0.033 or 0.08–0.13 ms by run).
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                for _ in 0..8 {
                    frozen.encode(ctx, &mut encoder, super::Timing::Off);
                }
                let passes: Vec<_> = (0..reps.max(1))
                    .filter_map(|_| frozen.encode(ctx, &mut encoder, super::Timing::Total))
                    .collect();
                ctx.queue.submit([encoder.finish()]);
                buffers::wait(ctx)?;
                let mut times = Vec::new();
                for pass in &passes {
                    times.push(pollster::block_on(pass.read(ctx))?.1);
                }
                times.sort_by(f64::total_cmp);
                total += times.get(times.len() / 2).copied().unwrap_or(0.0);
            }
            out.push(total);
        }
        Ok(out)
    }

    /// Blocking [`Self::forward`] for native code.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn forward_blocking(&self, x: &[f32], prune: Option<&Prune<'_>>) -> Result<MultiOutput> {
        pollster::block_on(self.forward(x, prune))
    }
}
