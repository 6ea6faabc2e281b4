//! Cost-aware expert execution (issue 12) on the CPU: the planner's invariants, a brute-force oracle for
//! its optimality gap, compensation, placements and the calibrated cost.

use omnimoe::caee::{self, compensate, plan, ExpertCost, Placement};
use omnimoe::cost::{CostModel, Knee, StageCost};
use omnimoe::rng::SplitMix64;
use proptest::prelude::*;

/// A flat-then-linear cost per adapter (slower adapters cost more), an upload where not resident.
struct TestCost {
    knees: Vec<Knee>,
    upload: f64,
}

impl ExpertCost for TestCost {
    fn expert_ms(&self, adapter: usize, tokens: u32, resident: bool) -> f64 {
        if tokens == 0 {
            return 0.0;
        }
        self.knees[adapter].at(tokens as f64) + if resident { 0.0 } else { self.upload }
    }
}

/// A random routing: T tokens of K distinct experts of `n`, weights in (0, 1].
struct Instance {
    k: usize,
    indices: Vec<u32>,
    weights: Vec<f32>,
    placement: Placement,
    resident: Vec<bool>,
    cost: TestCost,
}

fn instance(seed: u64, t: usize, k: usize, n: usize, adapters: usize) -> Instance {
    let mut rng = SplitMix64::new(seed);
    let mut indices = Vec::new();
    for _ in 0..t {
        let mut row: Vec<u32> = Vec::new();
        while row.len() < k {
            let e = (rng.next_u64() % n as u64) as u32;
            if !row.contains(&e) {
                row.push(e);
            }
        }
        indices.extend(row);
    }
    let weights = (0..t * k).map(|_| 0.05 + rng.unit()).collect();
    let placement = Placement::new(
        (0..n)
            .map(|_| (rng.next_u64() % adapters as u64) as u32)
            .collect(),
        adapters,
    )
    .unwrap();
    let resident = (0..n).map(|_| !rng.next_u64().is_multiple_of(3)).collect();
    let knees = (0..adapters)
        .map(|_| Knee {
            knee: (rng.next_u64() % 4) as f64,
            flat: 0.5 + rng.unit() as f64,
            slope: 0.05 + rng.unit() as f64 * 0.3,
        })
        .collect();
    Instance {
        k,
        indices,
        weights,
        placement,
        resident,
        cost: TestCost { knees, upload: 0.7 },
    }
}

/// Predicted time per adapter of the pairs `keep` keeps.
fn kept_ms(i: &Instance, keep: &[bool]) -> Vec<f64> {
    let mut tokens = vec![0u32; i.placement.experts()];
    for (p, &e) in i.indices.iter().enumerate() {
        if keep[p] {
            tokens[e as usize] += 1;
        }
    }
    let mut ms = vec![0.0; i.placement.adapters()];
    for (e, &n) in tokens.iter().enumerate() {
        let a = i.placement.adapter(e as u32);
        ms[a] += i.cost.expert_ms(a, n, i.resident[e]);
    }
    ms
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}

/// Each token's top-1 slot (largest weight, lowest slot on ties).
fn top1(i: &Instance) -> Vec<usize> {
    i.weights
        .chunks(i.k)
        .map(|w| (0..i.k).fold(0, |b, s| if w[s] > w[b] { s } else { b }))
        .collect()
}

/// The best keep-mask by exhaustion: every subset of the pairs that are not a top-1, within every
/// token's budget; the smallest predicted slowest adapter.
fn oracle(i: &Instance, max_removed: f64) -> f64 {
    let top = top1(i);
    let removable: Vec<usize> = (0..i.indices.len())
        .filter(|&p| top[p / i.k] != p % i.k)
        .collect();
    assert!(removable.len() <= 16, "instance too large for the oracle");
    let budget: Vec<f64> = i
        .weights
        .chunks(i.k)
        .map(|w| max_removed * w.iter().map(|&x| x as f64).sum::<f64>())
        .collect();
    let mut best = f64::MAX;
    for mask in 0u32..(1 << removable.len()) {
        let mut keep = vec![true; i.indices.len()];
        let mut lost = vec![0.0; budget.len()];
        for (b, &p) in removable.iter().enumerate() {
            if mask >> b & 1 == 1 {
                keep[p] = false;
                lost[p / i.k] += i.weights[p] as f64;
            }
        }
        if lost.iter().zip(&budget).all(|(l, b)| *l <= *b + 1e-12) {
            best = best.min(max(&kept_ms(i, &keep)));
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every invariant on random instances: budgets, top-1s, the slowest adapter, only routed pairs
    /// run (the plan's own prediction is the kept pairs' cost), and compensation restores each token's
    /// routed total.
    #[test]
    fn the_plan_keeps_its_invariants(seed: u64, t in 1usize..40, k in 1usize..7, n in 8usize..60,
                                     adapters in 1usize..5, max_removed in 0.0f64..=1.0) {
        let i = instance(seed, t, k, n, adapters);
        let p = plan(&i.indices, &i.weights, k, &i.placement, Some(&i.resident), &i.cost, max_removed).unwrap();
        prop_assert_eq!(p.keep.len(), i.indices.len());
        let top = top1(&i);
        for (tok, w) in i.weights.chunks(k).enumerate() {
            let total: f64 = w.iter().map(|&x| x as f64).sum();
            let lost: f64 = (0..k).filter(|&s| !p.keep[tok * k + s]).map(|s| w[s] as f64).sum();
            prop_assert!(lost <= max_removed * total + 1e-9, "token {} lost {} of {}", tok, lost, total);
            prop_assert!((p.removed[tok] as f64 - lost).abs() <= 1e-5 * total.max(1.0));
            prop_assert!(p.keep[tok * k + top[tok]], "token {} lost its top-1", tok);
        }
        prop_assert!(max(&p.after_ms) <= max(&p.before_ms) + 1e-9);
        let recomputed = kept_ms(&i, &p.keep);
        for (a, b) in recomputed.iter().zip(&p.after_ms) {
            prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0));
        }
        prop_assert_eq!(&p.before_ms, &kept_ms(&i, &vec![true; i.indices.len()]));
        let c = compensate(&i.weights, &p.keep, k);
        for (tok, w) in i.weights.chunks(k).enumerate() {
            let total: f64 = w.iter().map(|&x| x as f64).sum();
            let after: f64 = c[tok * k..(tok + 1) * k].iter().map(|&x| x as f64).sum();
            prop_assert!((after - total).abs() <= 1e-5 * total);
            for s in 0..k {
                if !p.keep[tok * k + s] {
                    prop_assert_eq!(c[tok * k + s], 0.0);
                }
            }
        }
        if max_removed == 0.0 {
            prop_assert!(p.keep.iter().all(|&x| x));
        }
    }
}

/// On small instances the greedy plan's slowest adapter is never better than the exhaustive optimum
/// (a check of the oracle), and on average within a few percent of it.
#[test]
fn the_plan_is_near_the_exhaustive_optimum() {
    let mut gaps = Vec::new();
    for seed in 0..300u64 {
        let (t, k) = (2 + seed as usize % 4, 3 + seed as usize % 2);
        let i = instance(seed, t, k, 6 + seed as usize % 5, 2 + seed as usize % 2);
        let removable = (t * (k - 1)) as u32;
        if removable > 16 {
            continue;
        }
        let max_removed = [0.2, 0.4, 0.6][seed as usize % 3];
        let p = plan(
            &i.indices,
            &i.weights,
            k,
            &i.placement,
            Some(&i.resident),
            &i.cost,
            max_removed,
        )
        .unwrap();
        let greedy = max(&p.after_ms);
        let best = oracle(&i, max_removed);
        assert!(
            greedy >= best - 1e-9,
            "seed {seed}: greedy {greedy} below the optimum {best}"
        );
        gaps.push((greedy - best) / best);
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let worst = gaps.iter().copied().fold(0.0, f64::max);
    println!(
        "{} instances: mean gap {:.2}%, worst {:.2}%",
        gaps.len(),
        100.0 * mean,
        100.0 * worst
    );
    assert!(gaps.len() >= 100);
    assert!(mean < 0.05, "mean gap {mean}");
}

#[test]
fn placements_and_bad_input_are_checked() {
    let p = Placement::skewed(100, 2, 0.75).unwrap();
    let on0 = (0..100).filter(|&e| p.adapter(e) == 0).count();
    assert_eq!(on0, 75);
    let p = Placement::skewed(90, 3, 1.0 / 3.0).unwrap();
    for a in 0..3 {
        assert_eq!(
            (0..90).filter(|&e| p.adapter(e) == a).count(),
            30,
            "adapter {a}"
        );
    }
    assert!(Placement::new(vec![0, 2], 2).is_err());
    assert!(Placement::skewed(10, 0, 0.5).is_err());
    let i = instance(1, 4, 2, 10, 2);
    let run = |idx: &[u32], w: &[f32], k: usize, budget: f64| {
        plan(idx, w, k, &i.placement, None, &i.cost, budget)
    };
    assert!(run(&i.indices, &i.weights, 3, 0.5).is_err()); // rows of K
    assert!(run(&i.indices, &i.weights[1..], 2, 0.5).is_err());
    assert!(run(&[10, 0], &[1.0, 1.0], 2, 0.5).is_err()); // beyond the placed experts
    assert!(run(&[1, 0], &[f32::NAN, 1.0], 2, 0.5).is_err());
    assert!(run(&i.indices, &i.weights, 2, 1.5).is_err()); // not a fraction
    assert!(plan(
        &i.indices,
        &i.weights,
        2,
        &i.placement,
        Some(&[true]),
        &i.cost,
        0.5
    )
    .is_err());
}

/// A calibrated model's cost: scores + combine at the tokens, one expert's upload where not resident.
#[test]
fn calibrated_cost_adds_the_stages_and_the_upload() {
    let knee = |flat, slope| Knee {
        knee: 1.0,
        flat,
        slope,
    };
    let stage = |name: &str, model| StageCost {
        stage: name.into(),
        f16: true,
        model,
        points: vec![],
        held_out_mape: 0.0,
    };
    let models = [CostModel {
        adapter: "test".into(),
        hidden: 8,
        stages: vec![
            stage("expert_scores", knee(1.0, 0.5)),
            stage("expert_combine", knee(2.0, 0.25)),
            stage("upload", knee(40.0, 3.0)),
        ],
    }];
    let cost = caee::CalibratedCost {
        models: &models,
        f16: true,
    };
    assert_eq!(cost.expert_ms(0, 0, false), 0.0);
    assert_eq!(cost.expert_ms(0, 5, true), 1.0 + 2.0 + 4.0 * 0.75);
    assert_eq!(cost.expert_ms(0, 5, false), 1.0 + 2.0 + 4.0 * 0.75 + 3.0);
    assert_eq!(caee::critical_and_imbalance(&[1.0, 3.0, 2.0]), (1, 1.5));
    // Where the ragged stage (what runs over several adapters) is calibrated, it is the cost.
    let mut with_ragged = models[0].clone();
    with_ragged
        .stages
        .push(stage("expert_ragged", knee(0.5, 0.1)));
    let models = [with_ragged];
    let cost = caee::CalibratedCost {
        models: &models,
        f16: true,
    };
    assert_eq!(cost.expert_ms(0, 5, true), 0.5 + 4.0 * 0.1);
}
