//! The layer with routing modes on the GPU (`OmniMoeLayer::forward_routed`) against the CPU
//! (`cpu::forward_routed`, `cpu::expert_branch`): unified budgets, padding, decode equivalence.

mod common;

use common::checks::{round, rounded};
use common::{assert_close, bits, golden_layer as golden, product_key_candidates as candidates};
use omnimoe::cpu;
use omnimoe::gpu::{LayerOptions, OmniMoeLayer, Precision};
use omnimoe::routing::{Routed, Routing};
use omnimoe::OmniMoeWeights;

/// Checks that `got` is an expert-choice selection of the CPU's candidates up to `eps`: in every group,
/// each expert keeps min(capacity, its candidates) tokens, none scoring below one it dropped less `eps`.
fn check_expert_choice(w: &OmniMoeWeights, x: &[f32], routing: &Routing, got: &Routed, eps: f32) {
    let (scores, experts, m) = candidates(w, x);
    let (k, n) = (w.config.num_experts_per_token, w.config.num_experts);
    let t = x.len() / w.config.hidden_size;
    for (g0, g1) in routing.groups(t) {
        let valid = (g0..g1).filter(|&x| routing.routed(x)).count();
        let cap = routing.capacity_for(valid, k, n);
        // Per expert: (kept scores, dropped scores) among the group's routed tokens.
        let mut by_expert: std::collections::HashMap<u32, (Vec<f32>, Vec<f32>)> =
            Default::default();
        for tok in (g0..g1).filter(|&x| routing.routed(x)) {
            let mine = &got.experts[got.range(tok)];
            for j in tok * m..(tok + 1) * m {
                let slot = by_expert.entry(experts[j]).or_default();
                if mine.contains(&experts[j]) {
                    slot.0.push(scores[j]);
                } else {
                    slot.1.push(scores[j]);
                }
            }
        }
        for (e, (kept, dropped)) in by_expert {
            assert_eq!(
                kept.len(),
                cap.min(kept.len() + dropped.len()),
                "expert {e}"
            );
            let lo = kept.iter().fold(f32::MAX, |a, &b| a.min(b));
            let hi = dropped.iter().fold(f32::MIN, |a, &b| a.max(b));
            assert!(lo >= hi - eps, "expert {e}: kept {lo} below dropped {hi}");
        }
    }
}

/// Checks that `got` is a unified selection of the CPU's candidates up to `eps`: c pairs per group, each
/// token's pairs best first, every pair a candidate of its token with the CPU's score within `eps`, and
/// every kept score at least every dropped score of its group less `eps`.
fn check_unified(w: &OmniMoeWeights, x: &[f32], routing: &Routing, got: &Routed, eps: f32) {
    let t = x.len() / w.config.hidden_size;
    assert_eq!(got.tokens(), t);
    let k = w.config.num_experts_per_token;
    let (scores, experts, m) = candidates(w, x);
    for (g0, g1) in routing.groups(t) {
        let valid = (g0..g1).filter(|&x| routing.routed(x)).count();
        let c = routing.pairs_for(valid, k).min(valid * m);
        assert_eq!(
            got.offsets[g1] - got.offsets[g0],
            c as u32,
            "group {g0}..{g1}"
        );
        let mut kept_min = f32::MAX;
        let mut dropped_max = f32::MIN;
        for tok in g0..g1 {
            let row = tok * m..(tok + 1) * m;
            let range = got.range(tok);
            if !routing.routed(tok) {
                assert!(range.is_empty(), "padding token {tok}");
            }
            let mut mine = Vec::new();
            for p in range {
                let e = got.experts[p];
                let j = row
                    .clone()
                    .find(|&j| experts[j] == e)
                    .unwrap_or_else(|| panic!("token {tok}: expert {e} is no candidate"));
                assert!(
                    (got.scores[p] - scores[j]).abs() <= eps,
                    "token {tok}, expert {e}"
                );
                if p > got.offsets[tok] as usize {
                    assert!(
                        got.scores[p - 1] >= got.scores[p],
                        "token {tok}: not best first"
                    );
                }
                kept_min = kept_min.min(scores[j]);
                mine.push(j);
            }
            if routing.routed(tok) {
                for j in row.filter(|j| !mine.contains(j)) {
                    dropped_max = dropped_max.max(scores[j]);
                }
            }
        }
        assert!(
            kept_min >= dropped_max - eps,
            "group {g0}..{g1}: kept {kept_min} below dropped {dropped_max}"
        );
    }
}

/// The GPU's output equals the CPU's dense branch plus its expert branch over the GPU's pairs.
fn check_output(
    w: &OmniMoeWeights,
    x: &[f32],
    got: &omnimoe::gpu::RoutedHostOutput,
    abs: f32,
    rel: f32,
) {
    let h = w.config.hidden_size;
    let t = got.tokens;
    let mut sparse = vec![0.0; t * h];
    cpu::expert_branch(w, x, &got.routed, &mut sparse);
    let mut dense = vec![0.0; t * h];
    cpu::dense_swiglu(w, x, &mut dense);
    let want: Vec<f32> = dense.iter().zip(&sparse).map(|(d, s)| d + s).collect();
    assert_close("routed output", &got.output, &want, abs, rel);
}

#[test]
fn unified_budgets_on_the_golden_weights_match_the_cpu() {
    let ctx = common::gpu();
    for name in ["small", "medium", "kbig"] {
        let (w, x) = golden(name);
        let k = w.config.num_experts_per_token as f64;
        let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
        for budget in [0.25 * k, 0.5 * k, k, 1.5 * k] {
            for group in [None, Some(16)] {
                let routing = Routing {
                    group_tokens: group,
                    ..Routing::unified(budget)
                };
                let got = layer.forward_routed_blocking(&x, &routing).unwrap();
                let what = format!("{name} budget {budget} groups {group:?}");
                check_unified(&w, &x, &routing, &got.routed, 1e-5);
                check_output(&w, &x, &got, 1e-5, 1e-4);
                let stats = got.routed.stats(w.config.num_experts, k as usize);
                assert!(stats.pairs > 0, "{what}");
            }
        }
    }
}

#[test]
fn expert_choice_on_the_golden_weights_matches_the_cpu() {
    let ctx = common::gpu();
    for name in ["small", "medium"] {
        let (w, x) = golden(name);
        let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
        for (capacity, group) in [(Some(1), None), (Some(4), Some(16)), (None, None)] {
            let routing = Routing {
                mode: omnimoe::routing::RoutingMode::ExpertChoice,
                capacity,
                group_tokens: group,
                mask: Some(
                    (0..x.len() / w.config.hidden_size)
                        .map(|t| t % 9 != 4)
                        .collect(),
                ),
                ..Default::default()
            };
            let got = layer.forward_routed_blocking(&x, &routing).unwrap();
            check_expert_choice(&w, &x, &routing, &got.routed, 1e-5);
            check_output(&w, &x, &got, 1e-5, 1e-4);
            let want = cpu::forward_routed(&w, &x, &routing).unwrap();
            assert_eq!(
                got.routed.experts.len(),
                want.routed.experts.len(),
                "{name}"
            );
        }
    }
}

#[test]
fn one_token_per_group_is_the_plain_forward() {
    let ctx = common::gpu();
    for name in ["tiny", "small", "medium"] {
        let (w, x) = golden(name);
        let k = w.config.num_experts_per_token;
        let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
        let plain = layer.forward_host_blocking(&x).unwrap();
        let decode = Routing {
            group_tokens: Some(1),
            ..Routing::unified(k as f64)
        };
        let got = layer.forward_routed_blocking(&x, &decode).unwrap();
        assert_eq!(got.routed.experts, plain.indices, "{name}");
        // The routed path normalises the logits in its own kernel, so scores may differ in the last bit
        // (they do on the H100); the outputs then by as little.
        assert_close(
            &format!("{name} scores"),
            &got.routed.scores,
            &plain.scores,
            1e-6,
            1e-6,
        );
        assert_close(
            &format!("{name} output"),
            &got.output,
            &plain.output,
            1e-6,
            1e-5,
        );
        // Token choice without a mask is the plain forward itself.
        let tc = layer
            .forward_routed_blocking(&x, &Routing::token_choice())
            .unwrap();
        assert_eq!(bits(&tc.output), bits(&plain.output), "{name}");
        assert_eq!(tc.routed.max_per_token(), k);
    }
}

#[test]
fn padding_gets_the_dense_branch_and_stays_out_of_the_budget() {
    let ctx = common::gpu();
    let (w, x) = golden("medium");
    let h = w.config.hidden_size;
    let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
    let mask: Vec<bool> = (0..256).map(|t| t % 64 < 50).collect();
    for routing in [
        Routing {
            group_tokens: Some(64),
            mask: Some(mask.clone()),
            ..Routing::unified(8.0)
        },
        Routing {
            mask: Some(mask.clone()),
            ..Routing::token_choice()
        },
    ] {
        let got = layer.forward_routed_blocking(&x, &routing).unwrap();
        check_output(&w, &x, &got, 1e-5, 1e-4);
        let mut dense = vec![0.0; 256 * h];
        cpu::dense_swiglu(&w, &x, &mut dense);
        for t in (0..256).filter(|t| !mask[*t]) {
            assert!(got.routed.range(t).is_empty());
            assert_close(
                &format!("padding token {t}"),
                &got.output[t * h..(t + 1) * h],
                &dense[t * h..(t + 1) * h],
                1e-5,
                1e-4,
            );
        }
        if routing.group_tokens.is_some() {
            check_unified(&w, &x, &routing, &got.routed, 1e-5);
        } else {
            // Token choice: every routed token its K best, as the CPU.
            let want = cpu::forward_routed(&w, &x, &routing).unwrap();
            assert_eq!(got.routed.offsets, want.routed.offsets);
            assert_eq!(got.routed.experts, want.routed.experts);
        }
    }
}

#[test]
fn unified_in_f16_and_under_small_bindings_and_chunks() {
    let (w, x) = golden("medium");
    let ctx = common::gpu_with(&omnimoe::gpu::ContextOptions {
        max_binding_bytes: Some(64 << 10),
        ..Default::default()
    });
    let routing = Routing {
        group_tokens: Some(32),
        ..Routing::unified(12.0)
    };
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    assert!(layer.chunk_tokens_in_use() < 256);
    let got = layer.forward_routed_blocking(&x, &routing).unwrap();
    check_unified(&w, &x, &routing, &got.routed, 1e-5);
    check_output(&w, &x, &got, 1e-5, 1e-4);
    // A group larger than a chunk is refused by name.
    let whole = Routing::unified(12.0);
    match layer.forward_routed_blocking(&x, &whole) {
        Err(omnimoe::Error::Limit { what, .. }) => {
            assert!(what.contains("routing group"), "{what}")
        }
        other => panic!("{:?}", other.map(|o| o.tokens)),
    }
    let ctx16 = common::gpu();
    if ctx16.caps.shader_f16 {
        let options = LayerOptions {
            precision: Precision::F16,
            ..Default::default()
        };
        let layer = OmniMoeLayer::new(ctx16, &w, &options).unwrap();
        let got = layer.forward_routed_blocking(&x, &routing).unwrap();
        let (w16, x16) = (rounded(&w), round(&x));
        check_unified(&w16, &x16, &routing, &got.routed, 2e-3);
        check_output(&w16, &x16, &got, 5e-3, 5e-3);
    }
}

/// A prepared routed forward runs again and again to the same bits (the selection's state reset each
/// time), equal to the one-off forward; unified and expert choice.
#[test]
fn prepared_routed_forwards_repeat_bit_for_bit() {
    let ctx = common::gpu();
    let (w, x) = golden("medium");
    let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
    for routing in [
        Routing {
            group_tokens: Some(64),
            ..Routing::unified(10.0)
        },
        Routing::expert_choice(3),
    ] {
        let once = layer.forward_routed_blocking(&x, &routing).unwrap();
        let prepared = layer.prepare_routed(&x, &routing).unwrap();
        for _ in 0..3 {
            prepared.run(omnimoe::gpu::Timing::Off).unwrap();
            let again = pollster::block_on(prepared.read()).unwrap();
            assert_eq!(again.routed, once.routed);
            assert_eq!(bits(&again.output), bits(&once.output));
        }
    }
}
