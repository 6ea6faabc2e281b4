//! The pair selection of every routing mode ([`crate::routing`]), by sorting: the oracle the GPU's
//! threshold select is checked against.

use std::cmp::Ordering;

use crate::routing::{Routed, Routing, RoutingMode};

/// Descending score, then ascending token, then ascending expert: the order every mode selects in.
fn best_first(a: &(f32, usize, u32), b: &(f32, usize, u32)) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
}

/// Which of each token's `m` candidates `routing` keeps: `scores` and `experts` `[T, m]` (a token's
/// candidates are distinct experts below `n_experts`); `k` is the layer's K (token choice keeps it, the
/// budget defaults to it). Returns the keep mask `[T, m]`.
pub fn route_select(
    scores: &[f32],
    experts: &[u32],
    m: usize,
    routing: &Routing,
    k: usize,
    n_experts: usize,
) -> Vec<bool> {
    let t_all = scores.len().checked_div(m).unwrap_or(0);
    let mut keep = vec![false; scores.len()];
    for (g0, g1) in routing.groups(t_all) {
        let tokens: Vec<usize> = (g0..g1).filter(|&t| routing.routed(t)).collect();
        // (score, token, expert) with the flat slot, of every candidate of the group's routed tokens.
        let mut pairs: Vec<((f32, usize, u32), usize)> = tokens
            .iter()
            .flat_map(|&t| (t * m..(t + 1) * m).map(move |p| ((scores[p], t, experts[p]), p)))
            .collect();
        match routing.mode {
            RoutingMode::TokenChoice => {
                pairs.sort_by(|a, b| best_first(&a.0, &b.0));
                let mut taken = vec![0usize; g1 - g0];
                for (key, p) in pairs {
                    let n = &mut taken[key.1 - g0];
                    if *n < k {
                        *n += 1;
                        keep[p] = true;
                    }
                }
            }
            RoutingMode::Unified => {
                let c = routing.pairs_for(tokens.len(), k).min(pairs.len());
                if c < pairs.len() {
                    pairs.select_nth_unstable_by(c, |a, b| best_first(&a.0, &b.0));
                }
                for (_, p) in &pairs[..c] {
                    keep[*p] = true;
                }
            }
            RoutingMode::ExpertChoice => {
                let cap = routing.capacity_for(tokens.len(), k, n_experts);
                pairs.sort_by(|a, b| a.0 .2.cmp(&b.0 .2).then(best_first(&a.0, &b.0)));
                let mut run = (u32::MAX, 0usize);
                for (key, p) in pairs {
                    if run.0 != key.2 {
                        run = (key.2, 0);
                    }
                    if run.1 < cap {
                        run.1 += 1;
                        keep[p] = true;
                    }
                }
            }
        }
    }
    keep
}

/// The kept candidates as a [`Routed`]: each token's pairs by descending score, ascending expert on ties.
pub fn routed_from_mask(scores: &[f32], experts: &[u32], m: usize, keep: &[bool]) -> Routed {
    let t_all = scores.len().checked_div(m).unwrap_or(0);
    let mut out = Routed {
        offsets: vec![0],
        ..Default::default()
    };
    for t in 0..t_all {
        let mut mine: Vec<usize> = (t * m..(t + 1) * m).filter(|&p| keep[p]).collect();
        mine.sort_by(|&a, &b| {
            scores[b]
                .total_cmp(&scores[a])
                .then(experts[a].cmp(&experts[b]))
        });
        for p in mine {
            out.experts.push(experts[p]);
            out.scores.push(scores[p]);
        }
        out.offsets.push(out.experts.len() as u32);
    }
    out
}

/// The sum of the kept candidates' scores: the objective the unified mode maximises for its pair count.
pub fn objective(scores: &[f32], keep: &[bool]) -> f64 {
    scores
        .iter()
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|(&s, _)| s as f64)
        .sum()
}
