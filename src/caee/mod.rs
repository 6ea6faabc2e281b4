//! Cost-aware expert execution (CAEE, `../shared/docs/caee.md`): with experts spread over several adapters,
//! the layer waits for the slowest. [`plan`] prunes low-importance routed pairs only on the adapter that
//! is predicted slowest, under a budget on the routing weight each token may lose, and [`compensate`]
//! moves the removed weight onto each token's kept experts.
//!
//! The planner's invariants (each tested): no token loses more than its budget; every token keeps its
//! top-1 expert; the slowest adapter's predicted time never grows; nothing runs that was not routed.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::{Error, Result};

mod placement;

pub use placement::{CalibratedCost, ExpertCost, Placement};

/// A ratio ordered by `f64::total_cmp`, for the planner's heaps.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ratio(f64);

impl Eq for Ratio {}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What [`plan`] decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// One flag per routed pair ([T, K]): false where pruned.
    pub keep: Vec<bool>,
    /// Routing weight each token lost.
    pub removed: Vec<f32>,
    /// Predicted milliseconds per adapter before pruning.
    pub before_ms: Vec<f64>,
    /// The same after.
    pub after_ms: Vec<f64>,
}

impl Plan {
    /// The removed weight over all routed weight (0 when nothing was routed).
    pub fn removed_fraction(&self, weights: &[f32]) -> f64 {
        let total: f64 = weights.iter().map(|&w| w as f64).sum();
        let removed: f64 = self.removed.iter().map(|&w| w as f64).sum();
        if total > 0.0 {
            removed / total
        } else {
            0.0
        }
    }

    /// The adapter predicted slowest after pruning (the lowest index on ties) and max/mean of the
    /// adapters' predicted times.
    pub fn critical(&self) -> (usize, f64) {
        critical_and_imbalance(&self.after_ms)
    }
}

/// The slowest of `ms` (lowest index on ties) and max/mean (1 when all are 0).
pub fn critical_and_imbalance(ms: &[f64]) -> (usize, f64) {
    let (mut at, mut most) = (0, f64::MIN);
    for (i, &t) in ms.iter().enumerate() {
        if t > most {
            (at, most) = (i, t);
        }
    }
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    (at, if mean > 0.0 { most / mean } else { 1.0 })
}

/// The slot of each token's top-1 expert: its largest weight, the lowest slot on ties.
fn top1(weights: &[f32], k: usize) -> Vec<usize> {
    weights
        .chunks(k)
        .map(|w| (0..w.len()).fold(0, |best, s| if w[s] > w[best] { s } else { best }))
        .collect()
}

/// Predicted milliseconds of each adapter running `tokens` (pairs per expert).
fn adapter_ms<C: ExpertCost + ?Sized>(
    tokens: &[u32],
    placement: &Placement,
    resident: Option<&[bool]>,
    cost: &C,
) -> Vec<f64> {
    let mut ms = vec![0.0; placement.adapters()];
    for (e, &n) in tokens.iter().enumerate() {
        let r = resident.is_none_or(|r| r[e]);
        ms[placement.adapter(e as u32)] += cost.expert_ms(placement.adapter(e as u32), n, r);
    }
    ms
}

/// Checks the shapes [`plan`] and [`compensate`] take.
fn check_routing(indices: &[u32], weights: &[f32], k: usize, experts: usize) -> Result<()> {
    let bad = |field: &'static str, reason: String| Err(Error::Config { field, reason });
    if k == 0 || !indices.len().is_multiple_of(k) || weights.len() != indices.len() {
        return bad(
            "routing",
            format!(
                "{} indices and {} weights do not make rows of K = {k}",
                indices.len(),
                weights.len()
            ),
        );
    }
    if let Some(i) = indices.iter().position(|&e| e as usize >= experts) {
        return bad(
            "routing",
            format!(
                "index {} at {i} is beyond {experts} placed experts",
                indices[i]
            ),
        );
    }
    if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        return bad(
            "routing",
            format!("weight {} at {i} is not a finite weight ≥ 0", weights[i]),
        );
    }
    Ok(())
}

/// Prunes routed pairs ([T, K] `indices` and their routing `weights`) under a budget: each token may
/// lose at most `max_removed` (0..=1) of its routed weight; `resident` (per expert, on its adapter) adds
/// an upload to the cost of an expert that is not. Greedy: while the adapter predicted slowest has an
/// expert with removable pairs (not a token's top-1, within its token's budget, lightest first), remove
/// those of the expert that saves the most predicted time per unit of weight removed (kept in a heap
/// per adapter, offers renewed lazily); stop when it has none. Deterministic (ties to the lowest
/// adapter and expert).
pub fn plan<C: ExpertCost + ?Sized>(
    indices: &[u32],
    weights: &[f32],
    k: usize,
    placement: &Placement,
    resident: Option<&[bool]>,
    cost: &C,
    max_removed: f64,
) -> Result<Plan> {
    check_routing(indices, weights, k, placement.experts())?;
    if !(0.0..=1.0).contains(&max_removed) {
        return Err(Error::Config {
            field: "max_removed",
            reason: format!("{max_removed} is not a fraction in 0..=1"),
        });
    }
    if resident.is_some_and(|r| r.len() != placement.experts()) {
        return Err(Error::Config {
            field: "resident",
            reason: "needs one flag per placed expert".into(),
        });
    }
    let experts = placement.experts();
    let mut tokens = vec![0u32; experts];
    let mut pairs_of: Vec<Vec<usize>> = vec![Vec::new(); experts];
    for (p, &e) in indices.iter().enumerate() {
        tokens[e as usize] += 1;
        pairs_of[e as usize].push(p);
    }
    let top = top1(weights, k);
    let budget: Vec<f64> = weights
        .chunks(k)
        .map(|w| max_removed * w.iter().map(|&x| x as f64).sum::<f64>())
        .collect();
    let mut removed = vec![0.0f64; indices.len() / k];
    let mut keep = vec![true; indices.len()];
    let before_ms = adapter_ms(&tokens, placement, resident, cost);
    let mut ms = before_ms.clone();
    // Each expert's offer: its removable pairs now (lightest first, each within its token's budget),
    // the predicted time they save and that per unit of weight.
    let offer = |e: usize, keep: &[bool], removed: &[f64], tokens: &[u32]| {
        let mut candidates: Vec<usize> = pairs_of[e]
            .iter()
            .copied()
            .filter(|&p| keep[p] && top[p / k] != p % k)
            .collect();
        candidates.sort_by(|&a, &b| weights[a].total_cmp(&weights[b]).then(a.cmp(&b)));
        let mut taken: Vec<usize> = Vec::new();
        for p in candidates {
            let t = p / k;
            let spent: f64 = taken
                .iter()
                .filter(|&&q| q / k == t)
                .map(|&q| weights[q] as f64)
                .sum();
            if removed[t] + spent + weights[p] as f64 <= budget[t] {
                taken.push(p);
            }
        }
        if taken.is_empty() {
            return None;
        }
        let a = placement.adapter(e as u32);
        let r = resident.is_none_or(|r| r[e]);
        let left = tokens[e] - taken.len() as u32;
        let saved = cost.expert_ms(a, tokens[e], r) - cost.expert_ms(a, left, r);
        if saved <= 0.0 {
            return None;
        }
        let weight: f64 = taken.iter().map(|&p| weights[p] as f64).sum();
        let ratio = if weight > 0.0 {
            saved / weight
        } else {
            f64::MAX
        };
        Some((ratio, taken, saved))
    };
    // Per adapter, its experts by their last offer's ratio (best first, then the lowest expert). An
    // offer can change once other pairs of its tokens are removed: the top is offered again before it
    // is taken, and goes back into the heap when it no longer leads.
    let mut heaps: Vec<BinaryHeap<(Ratio, Reverse<usize>)>> =
        vec![BinaryHeap::new(); placement.adapters()];
    for e in 0..experts {
        if let Some((ratio, _, _)) = offer(e, &keep, &removed, &tokens) {
            heaps[placement.adapter(e as u32)].push((Ratio(ratio), Reverse(e)));
        }
    }
    loop {
        let (critical, _) = critical_and_imbalance(&ms);
        let heap = &mut heaps[critical];
        let mut applied = false;
        while let Some((_, Reverse(e))) = heap.pop() {
            let Some((ratio, taken, saved)) = offer(e, &keep, &removed, &tokens) else {
                continue;
            };
            if heap.peek().is_some_and(|top| top.0 .0 > ratio) {
                heap.push((Ratio(ratio), Reverse(e)));
                continue;
            }
            for &p in &taken {
                keep[p] = false;
                removed[p / k] += weights[p] as f64;
            }
            tokens[e] -= taken.len() as u32;
            ms[critical] -= saved;
            if let Some((ratio, _, _)) = offer(e, &keep, &removed, &tokens) {
                heap.push((Ratio(ratio), Reverse(e)));
            }
            applied = true;
            break;
        }
        if !applied {
            break;
        }
    }
    Ok(Plan {
        keep,
        removed: removed.iter().map(|&w| w as f32).collect(),
        after_ms: adapter_ms(&tokens, placement, resident, cost),
        before_ms,
    })
}

/// Each token's compensation factor: its routed weight over its kept weight (0 where it keeps none,
/// which [`plan`] never leaves: every token keeps its top-1).
pub fn compensation_factors(weights: &[f32], keep: &[bool], k: usize) -> Vec<f32> {
    weights
        .chunks(k)
        .zip(keep.chunks(k))
        .map(|(w, kept)| {
            let total: f64 = w.iter().map(|&x| x as f64).sum();
            let kept_total: f64 = w
                .iter()
                .zip(kept)
                .filter(|p| *p.1)
                .map(|p| *p.0 as f64)
                .sum();
            if kept_total > 0.0 {
                (total / kept_total) as f32
            } else {
                0.0
            }
        })
        .collect()
}

/// Compensation: each token's kept weights scaled so they add up to its routed total; pruned pairs get
/// 0 (the combine kernel's `COMPENSATE` applies the same factors, [`compensation_factors`]).
pub fn compensate(weights: &[f32], keep: &[bool], k: usize) -> Vec<f32> {
    let factors = compensation_factors(weights, keep, k);
    weights
        .iter()
        .zip(keep)
        .enumerate()
        .map(|(p, (&w, &kept))| {
            if kept {
                (w as f64 * factors[p / k] as f64) as f32
            } else {
                0.0
            }
        })
        .collect()
}
