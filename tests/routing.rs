//! Routing modes on the CPU (`omnimoe::routing`, `cpu::forward_routed`): token choice is today's layer,
//! unified keeps exactly its budget and beats the fixed budgets on the objective, groups and masks route
//! independently, starved tokens get the dense branch alone.

mod common;

use common::{bits, golden_layer as golden, product_key_candidates as candidates};
use omnimoe::cpu::{self, forward_routed, objective, route_select};
use omnimoe::rng::SplitMix64;
use omnimoe::routing::{Routing, RoutingMode};
use omnimoe::{OmniMoeConfig, OmniMoeWeights};
use proptest::prelude::*;

#[test]
fn token_choice_is_the_fixed_top_k_layer_bit_for_bit() {
    for name in ["tiny", "small", "nonsquare", "kbig", "medium"] {
        let (w, x) = golden(name);
        let k = w.config.num_experts_per_token;
        let fixed = cpu::forward(&w, &x).unwrap();
        let routed = forward_routed(&w, &x, &Routing::token_choice()).unwrap();
        assert_eq!(bits(&routed.output), bits(&fixed.output), "{name}");
        assert_eq!(routed.routed.max_per_token(), k, "{name}");
        assert_eq!(routed.routed.experts, fixed.indices, "{name}");
        assert_eq!(bits(&routed.routed.scores), bits(&fixed.scores), "{name}");
        // Unified with one token per group and budget K is token choice too (decode).
        let decode = Routing {
            group_tokens: Some(1),
            ..Routing::unified(k as f64)
        };
        let one = forward_routed(&w, &x, &decode).unwrap();
        assert_eq!(
            bits(&one.output),
            bits(&fixed.output),
            "{name}: one token per group"
        );
    }
}

#[test]
fn unified_keeps_its_budget_and_starved_tokens_get_the_dense_branch() {
    let (w, x) = golden("medium");
    let (t, k, h) = (256, 16, 256);
    for budget in [0.25, 0.5, 1.5, 4.0, 8.0, 16.0] {
        let out = forward_routed(&w, &x, &Routing::unified(budget)).unwrap();
        let stats = out.routed.stats(w.config.num_experts, k);
        assert_eq!(
            stats.pairs,
            (budget * t as f64).round() as usize,
            "budget {budget}"
        );
        assert_eq!(stats.experts_per_token.iter().sum::<usize>(), t);
        for tok in 0..t {
            if out.routed.range(tok).is_empty() {
                let row = tok * h..(tok + 1) * h;
                assert_eq!(bits(&out.output[row.clone()]), bits(&out.dense[row]));
            }
        }
        if budget < 1.0 {
            assert!(stats.starved_tokens >= t - stats.pairs, "budget {budget}");
        }
    }
}

#[test]
fn groups_route_alone_as_in_a_batch_and_masks_exclude_padding() {
    let (w, x) = golden("small");
    let (h, s) = (64, 16);
    let routing = |group: Option<usize>, mask: Option<Vec<bool>>| Routing {
        group_tokens: group,
        mask,
        ..Routing::unified(3.0)
    };
    let batch = forward_routed(&w, &x, &routing(Some(s), None)).unwrap();
    for g in 0..4 {
        let alone =
            forward_routed(&w, &x[g * s * h..(g + 1) * s * h], &routing(None, None)).unwrap();
        let rows = g * s * h..(g + 1) * s * h;
        assert_eq!(
            bits(&alone.output),
            bits(&batch.output[rows]),
            "sequence {g}"
        );
        assert_eq!(alone.routed.experts.len(), 48, "sequence {g}: 3 · 16 pairs");
    }
    // Padding: the last 6 tokens of each sequence masked out: no experts, outside the budget, and the
    // rest routes as the 10-token sequence alone.
    let mask: Vec<bool> = (0..64).map(|t| t % s < 10).collect();
    let padded = forward_routed(&w, &x, &routing(Some(s), Some(mask.clone()))).unwrap();
    for (t, _) in mask.iter().enumerate().filter(|(_, &m)| !m) {
        assert!(padded.routed.range(t).is_empty(), "padding token {t}");
    }
    for g in 0..4 {
        let alone =
            forward_routed(&w, &x[g * s * h..(g * s + 10) * h], &routing(None, None)).unwrap();
        assert_eq!(
            bits(&alone.output),
            bits(&padded.output[g * s * h..(g * s + 10) * h]),
            "sequence {g} with padding"
        );
    }
}

#[test]
fn routing_options_are_checked_by_name() {
    let (w, x) = golden("tiny");
    let bad = [
        (Routing::unified(0.0), "budget"),
        (Routing::unified(f64::NAN), "budget"),
        (
            Routing {
                budget: Some(2.0),
                ..Routing::token_choice()
            },
            "budget",
        ),
        (Routing::expert_choice(0), "capacity"),
        (
            Routing {
                capacity: Some(2),
                ..Routing::unified(1.0)
            },
            "capacity",
        ),
        (
            Routing {
                group_tokens: Some(0),
                ..Routing::unified(1.0)
            },
            "group_tokens",
        ),
    ];
    for (routing, field) in bad {
        match forward_routed(&w, &x, &routing) {
            Err(omnimoe::Error::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{routing:?}: {:?}", other.map(|o| o.tokens)),
        }
    }
    let short_mask = Routing {
        mask: Some(vec![true; 3]),
        ..Routing::unified(1.0)
    };
    assert!(matches!(
        forward_routed(&w, &x, &short_mask),
        Err(omnimoe::Error::Shape { .. })
    ));
    assert_eq!(
        "expert-choice".parse::<RoutingMode>().unwrap(),
        RoutingMode::ExpertChoice
    );
    assert!("top-k".parse::<RoutingMode>().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// On random layers: unified keeps exactly c pairs, every kept pair ranks before every dropped one
    /// (score, token, expert), its objective is at least token choice's and expert choice's at the same
    /// pair count, and expert choice keeps at most `capacity` tokens per expert.
    #[test]
    fn selections_keep_their_budgets_and_unified_maximises_the_objective(
        t in 1usize..40, half_k in 1usize..5, n in 16usize..300, budget in 0.1f64..6.0, seed: u64,
    ) {
        let k = 2 * half_k;
        let Ok(config) = OmniMoeConfig::new(8, 8, n, k) else { return Ok(()) };
        let w = OmniMoeWeights::random(config, seed).unwrap();
        let x = SplitMix64::new(seed ^ 7).normals(t * 8);
        let (scores, experts, m) = candidates(&w, &x);
        // Coarse scores make ties, which the order must break.
        let scores: Vec<f32> = scores.iter().map(|s| (s * 4.0).round() / 4.0).collect();
        let unified = Routing::unified(budget);
        let keep = route_select(&scores, &experts, m, &unified, k, n);
        let c = ((budget * t as f64).round() as usize).min(t * m);
        prop_assert_eq!(keep.iter().filter(|&&b| b).count(), c);
        let key = |p: usize| (scores[p], p / m, experts[p]);
        let worst_kept = (0..t * m).filter(|&p| keep[p]).map(key).min_by(|a, b| {
            a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2))
        });
        let best_dropped = (0..t * m).filter(|&p| !keep[p]).map(key).max_by(|a, b| {
            a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)).then(b.2.cmp(&a.2))
        });
        if let (Some(a), Some(b)) = (worst_kept, best_dropped) {
            let before = a.0 > b.0 || (a.0 == b.0 && (a.1, a.2) < (b.1, b.2));
            prop_assert!(before, "kept {:?} after dropped {:?}", a, b);
        }
        // Token choice keeps min(k, m) a token; unified at that count does at least as well.
        let tc = route_select(&scores, &experts, m, &Routing::token_choice(), k, n);
        let tc_pairs = tc.iter().filter(|&&b| b).count();
        prop_assert_eq!(tc_pairs, t * k.min(m));
        let same = Routing::unified(tc_pairs as f64 / t as f64);
        let u = route_select(&scores, &experts, m, &same, k, n);
        prop_assert!(objective(&scores, &u) >= objective(&scores, &tc) - 1e-9);
        // Expert choice: at most `capacity` per expert; unified at its count does at least as well.
        let cap = 1 + (seed % 3) as usize;
        let ec = route_select(&scores, &experts, m, &Routing::expert_choice(cap), k, n);
        let mut load = vec![0usize; n];
        for p in (0..t * m).filter(|&p| ec[p]) {
            load[experts[p] as usize] += 1;
        }
        prop_assert!(load.iter().all(|&l| l <= cap));
        let ec_pairs = ec.iter().filter(|&&b| b).count();
        let same = Routing::unified(ec_pairs as f64 / t as f64);
        let u = route_select(&scores, &experts, m, &same, k, n);
        prop_assert_eq!(u.iter().filter(|&&b| b).count(), ec_pairs);
        prop_assert!(objective(&scores, &u) >= objective(&scores, &ec) - 1e-9);
    }
}
