//! The whole layer in a real browser (headless Chromium on WebGPU, through wasm-bindgen-test and
//! chromedriver): golden files, the demo's run, the routing modes and expert residency against the CPU
//! compiled to WebAssembly. The stages alone are in `browser.rs`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use omnimoe::cpu;
use omnimoe::gpu::buffers::Bind;
use omnimoe::gpu::stages::{self, Recorder};
use omnimoe::gpu::{LayerOptions, OmniMoeLayer};
use omnimoe::io::TensorFile;
use omnimoe::rng::SplitMix64;
use omnimoe::{LoadOptions, OmniMoeConfig, OmniMoeWeights};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn golden(bytes: &[u8]) {
    let ctx = ctx().await;
    let file = TensorFile::parse(bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    let out = layer.forward_host(&x).await.unwrap();
    close(
        "output",
        &out.output,
        &file.f32("output").unwrap().1,
        1e-5,
        1e-4,
    );
    close(
        "scores",
        &out.scores,
        &file.f32("router.scores").unwrap().1,
        1e-5,
        1e-4,
    );
    let k = w.config.num_experts_per_token;
    let (_, want) = file.int("router.indices").unwrap();
    for (t, (a, b)) in out.indices.chunks(k).zip(want.chunks(k)).enumerate() {
        let mut a: Vec<i64> = a.iter().map(|&v| v as i64).collect();
        let mut b = b.to_vec();
        a.sort();
        b.sort();
        assert_eq!(a, b, "token {t}");
    }
}

#[wasm_bindgen_test]
async fn golden_tiny_matches() {
    golden(include_bytes!("../../../shared/golden/tiny.safetensors")).await;
}

#[wasm_bindgen_test]
async fn golden_nonsquare_matches() {
    golden(include_bytes!(
        "../../../shared/golden/nonsquare.safetensors"
    ))
    .await;
}

#[wasm_bindgen_test]
async fn demo_run_checks_against_the_cpu() {
    let options = omnimoe_web::DemoOptions {
        tokens: 16,
        config: OmniMoeConfig::new(32, 48, 100, 4).unwrap(),
        seed: 3,
    };
    let v = omnimoe_web::run(&options, None).await.unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["load"].as_array().unwrap().len(), 100);
}

/// Random candidates of `t` tokens, `m` each: distinct experts below `n` in ascending order, scores on a
/// coarse grid (ties), as router_candidates writes them.
fn route_candidates(t: usize, m: usize, n: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
    let mut rng = SplitMix64::new(seed);
    let (mut scores, mut experts) = (Vec::new(), Vec::new());
    for _ in 0..t {
        let mut ids: Vec<u32> = (0..n as u32).collect();
        for i in 0..m {
            let j = i + (rng.next_u64() as usize % (n - i));
            ids.swap(i, j);
        }
        let mut row: Vec<u32> = ids[..m].to_vec();
        row.sort();
        for e in row {
            scores.push(-((rng.uniform(0.0, 6.0) * 2.0).round() / 2.0));
            experts.push(e);
        }
    }
    (scores, experts)
}

#[wasm_bindgen_test]
async fn routing_selections_match_the_cpu_oracle() {
    use omnimoe::routing::{Routing, RoutingMode};
    let ctx = ctx().await;
    // Four fixed cases, then twelve drawn from a seeded generator (proptest does not run on wasm).
    let mut rng = SplitMix64::new(11);
    let mut cases = vec![
        (40usize, 16usize, false, None, 3.0f64),
        (64, 64, false, Some(16usize), 10.0),
        (37, 30, true, Some(7), 2.0),
        (50, 64, true, None, 4.0),
    ];
    for _ in 0..12 {
        let mut pick = |n: u64| (rng.next_u64() % n) as usize;
        let (t, m) = (1 + pick(80), 1 + pick(100));
        let group = [None, Some(1), Some(1 + pick(20))][pick(3)];
        cases.push((t, m, pick(2) == 1, group, 0.1 + pick(60) as f64 / 10.0));
    }
    for (case, &(t, m, expert_choice, group, budget)) in cases.iter().enumerate() {
        let n = 2 * m + 5;
        let (scores, experts) = route_candidates(t, m, n, case as u64);
        let routing = Routing {
            mode: if expert_choice {
                RoutingMode::ExpertChoice
            } else {
                RoutingMode::Unified
            },
            budget: Some(budget),
            group_tokens: group,
            mask: Some((0..t).map(|x| x % 5 != 3).collect()),
            ..Default::default()
        };
        let keep = cpu::route_select(&scores, &experts, m, &routing, 4, n);
        let want = cpu::routed_from_mask(&scores, &experts, m, &keep);
        let s = group.unwrap_or(t);
        let budgets = routing.group_budgets(0, t, 4, n, m);
        let valid: Vec<u32> = (0..t).map(|x| routing.routed(x) as u32).collect();
        let (sb, eb, vb) = (
            up(&ctx, &scores),
            up_u32(&ctx, &experts),
            up_u32(&ctx, &valid),
        );
        let state = up_u32(&ctx, &stages::route_state(&budgets));
        let dims = (t as u32, m as u32, s as u32, n as u32);
        let scratch = stages::RouteScratch::new(&ctx, dims, (t * m) as u64, expert_choice);
        let mut rec = Recorder::new(&ctx);
        let all = Bind::all;
        scratch.record(&mut rec, all(&sb), all(&eb), all(&vb), all(&state));
        submit(&ctx, rec);
        let got = scratch.read(&ctx).await.unwrap();
        assert_eq!(got, want, "{routing:?}");
    }
}

#[wasm_bindgen_test]
async fn routed_layer_matches_the_cpu() {
    use omnimoe::routing::Routing;
    let ctx = ctx().await;
    let bytes = include_bytes!("../../../shared/golden/small.safetensors");
    let file = TensorFile::parse(bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    let (h, k) = (w.config.hidden_size, w.config.num_experts_per_token);
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    // One token per group with budget K: the fixed top-K layer's experts.
    let plain = layer.forward_host(&x).await.unwrap();
    let decode = Routing {
        group_tokens: Some(1),
        ..Routing::unified(k as f64)
    };
    let got = layer.forward_routed(&x, &decode).await.unwrap();
    assert_eq!(got.routed.experts, plain.indices);
    close("decode output", &got.output, &plain.output, 1e-5, 1e-4);
    // Unified budgets per group of 16: c pairs each, and the output the CPU gets from the same pairs.
    for budget in [2.0, 8.0, 12.0] {
        let routing = Routing {
            group_tokens: Some(16),
            ..Routing::unified(budget)
        };
        let got = layer.forward_routed(&x, &routing).await.unwrap();
        for g in 0..4 {
            let pairs = got.routed.offsets[16 * g + 16] - got.routed.offsets[16 * g];
            assert_eq!(pairs as f64, budget * 16.0, "group {g}");
        }
        let mut sparse = vec![0.0; 64 * h];
        cpu::expert_branch(&w, &x, &got.routed, &mut sparse);
        let mut dense = vec![0.0; 64 * h];
        cpu::dense_swiglu(&w, &x, &mut dense);
        let want: Vec<f32> = dense.iter().zip(&sparse).map(|(d, s)| d + s).collect();
        close("routed output", &got.output, &want, 1e-5, 1e-4);
    }
}

/// Offload in the browser: the experts of `nonsquare` kept in as many device slots as a token has
/// experts (an LRU cache, the rest in wasm memory), run by the multi-adapter layer on the page's one
/// adapter, give the plain layer's bits; the first forward misses, a repeat of one token hits.
#[wasm_bindgen_test]
async fn resident_experts_give_the_layer_bits() {
    use omnimoe::caee::Placement;
    use omnimoe::gpu::multi_adapter::MultiAdapterLayer;
    let ctx = ctx().await;
    let file = TensorFile::parse(include_bytes!(
        "../../../shared/golden/nonsquare.safetensors"
    ))
    .unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    let k = w.config.num_experts_per_token;
    let placement = Placement::new(vec![0; w.config.num_experts], 1).unwrap();
    let options = LayerOptions::default();
    let offload = MultiAdapterLayer::new(&[&ctx], &w, placement, &options, Some(k)).unwrap();
    let got = offload.forward(&x, None).await.unwrap();
    let layer = OmniMoeLayer::new(&ctx, &w, &options).unwrap();
    let want = layer.forward_host(&x).await.unwrap();
    assert_eq!(got.output, want.output);
    assert!(got.residency[0].misses > 0);
    let h = w.config.hidden_size;
    let first = &x[..h];
    offload.forward(first, None).await.unwrap();
    let again = offload.forward(first, None).await.unwrap();
    assert_eq!(
        (again.residency[0].hits, again.residency[0].misses),
        (k as u64, 0)
    );
}
