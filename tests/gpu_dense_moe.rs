//! The dense-router MoE layer on the GPU (`gpu::dense_moe::DenseMoeLayer`) against the CPU reference:
//! each routing mode's pairs (a valid selection of the CPU's scores up to f32 rounding) and the output the
//! CPU computes from those pairs; the row stages against their twins.

mod common;

use common::{assert_close, gpu};
use omnimoe::cpu;
use omnimoe::dense_moe::{DenseMoeConfig, DenseMoeWeights};
use omnimoe::gpu::dense_moe::DenseMoeLayer;
use omnimoe::rng::SplitMix64;
use omnimoe::routing::{Routing, RoutingMode};
use proptest::prelude::*;

/// `got` keeps, in every group (token for token choice, expert bucket for expert choice), what the CPU's
/// scores would within `eps`, the right number of pairs, each weighted by its score.
fn check_selection(
    w: &DenseMoeWeights,
    x: &[f32],
    routing: &Routing,
    alpha: f32,
    got: &omnimoe::routing::Routed,
) {
    let c = w.config;
    let (e, k) = (c.num_experts, c.top_k);
    let want = cpu::dense_moe_forward(w, x, routing, alpha).unwrap();
    let t = want.tokens;
    let eps = 1e-5;
    let score = |tok: usize, ex: u32| want.scores[tok * e + ex as usize];
    for tok in 0..t {
        for p in got.range(tok) {
            assert!(
                (got.scores[p] - score(tok, got.experts[p])).abs() <= eps,
                "token {tok}"
            );
        }
    }
    let budgets = routing.group_budgets(0, t, k, e, e);
    for (g, (g0, g1)) in routing.groups(t).enumerate() {
        let kept: Vec<(usize, u32)> = (g0..g1)
            .flat_map(|tok| got.range(tok).map(move |p| (tok, p)))
            .map(|(tok, p)| (tok, got.experts[p]))
            .collect();
        let is_kept = |tok: usize, ex: u32| kept.contains(&(tok, ex));
        let routed: Vec<usize> = (g0..g1).filter(|&x| routing.routed(x)).collect();
        match routing.mode {
            RoutingMode::Unified => {
                assert_eq!(kept.len(), budgets[g] as usize, "group {g}");
                let lo = kept
                    .iter()
                    .map(|&(tok, ex)| score(tok, ex))
                    .fold(f32::MAX, f32::min);
                let hi = routed
                    .iter()
                    .flat_map(|&tok| (0..e as u32).map(move |ex| (tok, ex)))
                    .filter(|&(tok, ex)| !is_kept(tok, ex))
                    .map(|(tok, ex)| score(tok, ex))
                    .fold(f32::MIN, f32::max);
                assert!(lo >= hi - eps, "group {g}: kept {lo} below dropped {hi}");
            }
            RoutingMode::ExpertChoice => {
                for ex in 0..e as u32 {
                    let mine: Vec<f32> = routed
                        .iter()
                        .filter(|&&tok| is_kept(tok, ex))
                        .map(|&tok| score(tok, ex))
                        .collect();
                    assert_eq!(
                        mine.len(),
                        (budgets[g] as usize).min(routed.len()),
                        "expert {ex}"
                    );
                    let lo = mine.iter().cloned().fold(f32::MAX, f32::min);
                    let hi = routed
                        .iter()
                        .filter(|&&tok| !is_kept(tok, ex))
                        .map(|&tok| score(tok, ex))
                        .fold(f32::MIN, f32::max);
                    assert!(lo >= hi - eps, "group {g} expert {ex}");
                }
            }
            RoutingMode::TokenChoice => {
                for &tok in &routed {
                    let mine = got.range(tok).len();
                    assert_eq!(mine, k, "token {tok}");
                    let lo = got
                        .range(tok)
                        .map(|p| got.scores[p])
                        .fold(f32::MAX, f32::min);
                    let hi = (0..e as u32)
                        .filter(|&ex| !is_kept(tok, ex))
                        .map(|ex| score(tok, ex))
                        .fold(f32::MIN, f32::max);
                    assert!(lo >= hi - eps, "token {tok}");
                }
            }
        }
    }
}

#[test]
fn every_mode_matches_the_cpu() {
    let ctx = gpu();
    for (h, i, e, k, seed) in [
        (32usize, 48usize, 8usize, 2usize, 1u64),
        (30, 20, 64, 4, 2),
        (64, 40, 200, 8, 3),
    ] {
        let w = DenseMoeWeights::random(DenseMoeConfig::new(h, i, e, k).unwrap(), seed).unwrap();
        let layer = DenseMoeLayer::new(ctx, &w).unwrap();
        let t = 37;
        let x = SplitMix64::new(seed ^ 5).normals(t * h);
        let mask: Vec<bool> = (0..t).map(|x| x % 7 != 3).collect();
        for (routing, alpha) in [
            (Routing::token_choice(), 0.5),
            (
                Routing {
                    group_tokens: Some(16),
                    mask: Some(mask.clone()),
                    ..Routing::unified(3.0)
                },
                0.5,
            ),
            (Routing::unified(1.5), 0.0),
            (
                Routing {
                    mask: Some(mask.clone()),
                    ..Routing::expert_choice(2)
                },
                0.5,
            ),
        ] {
            let got = layer.forward_blocking(&x, &routing, alpha).unwrap();
            check_selection(&w, &x, &routing, alpha, &got.routed);
            let mut want = vec![0.0; t * h];
            cpu::dense_moe_experts(&w, &x, &got.routed, &mut want);
            assert_close(
                &format!("E {e} {:?}", routing.mode),
                &got.output,
                &want,
                1e-5,
                1e-4,
            );
            // Padding gets no expert: its output is zero.
            for tok in (0..t).filter(|&x| routing.mask.as_ref().is_some_and(|m| !m[x])) {
                assert!(got.output[tok * h..(tok + 1) * h].iter().all(|&v| v == 0.0));
            }
        }
    }
}

#[test]
fn bad_options_and_sizes_are_typed_errors() {
    let ctx = gpu();
    let w = DenseMoeWeights::random(DenseMoeConfig::new(8, 8, 4, 2).unwrap(), 1).unwrap();
    let layer = DenseMoeLayer::new(ctx, &w).unwrap();
    let x = vec![0.5f32; 3 * 8];
    assert!(matches!(
        layer.forward_blocking(&x, &Routing::unified(0.0), 0.5),
        Err(omnimoe::Error::Config {
            field: "budget",
            ..
        })
    ));
    assert!(matches!(
        layer.forward_blocking(&x[..5], &Routing::token_choice(), 0.5),
        Err(omnimoe::Error::Shape { .. })
    ));
    assert!(layer
        .forward_blocking(&[], &Routing::token_choice(), 0.5)
        .unwrap()
        .output
        .is_empty());
}

/// The row stages against their twins.
#[test]
fn gather_and_combine_match_their_twins() {
    use omnimoe::gpu::buffers::{self, Bind};
    use omnimoe::gpu::stages::{self, Recorder};
    let ctx = gpu();
    let (t, h) = (9usize, 13usize);
    let x = SplitMix64::new(1).normals(t * h);
    // Pairs: token t gets t % 4 of them.
    let mut offsets = vec![0u32];
    let (mut token, mut weight) = (Vec::new(), Vec::new());
    for tok in 0..t {
        for j in 0..tok % 4 {
            token.push(tok as u32);
            weight.push(0.25 + j as f32);
        }
        offsets.push(token.len() as u32);
    }
    let p = token.len();
    let pos: Vec<u32> = (0..p as u32).rev().collect();
    let mut rows = vec![0.0; p * h];
    cpu::moe_gather(&x, h, &token, &pos, &mut rows);
    let mut want = vec![0.0; t * h];
    cpu::moe_combine(&rows, h, &offsets, &weight, &pos, &mut want);
    let up = |v: &[u8]| buffers::upload(ctx, "t", v);
    let (xb, tb, pb, ob, wb) = (
        up(bytemuck::cast_slice(&x)),
        up(bytemuck::cast_slice(&token)),
        up(bytemuck::cast_slice(&pos)),
        up(bytemuck::cast_slice(&offsets)),
        up(bytemuck::cast_slice(&weight)),
    );
    let (rb, yb) = (
        buffers::storage(ctx, "rows", (p * h * 4) as u64),
        buffers::storage(ctx, "y", (t * h * 4) as u64),
    );
    let mut rec = Recorder::new(ctx);
    let all = Bind::all;
    stages::moe_gather(
        &mut rec,
        (p as u32, h as u32),
        all(&xb),
        all(&tb),
        all(&pb),
        all(&rb),
    );
    stages::moe_combine(
        &mut rec,
        (t as u32, h as u32),
        all(&rb),
        all(&ob),
        all(&wb),
        all(&pb),
        all(&yb),
    );
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
    let got_rows = pollster::block_on(buffers::read_f32(ctx, &rb, 0, p * h)).unwrap();
    assert_eq!(got_rows, rows);
    let got = pollster::block_on(buffers::read_f32(ctx, &yb, 0, t * h)).unwrap();
    assert_close("combine", &got, &want, 1e-6, 1e-6);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]

    /// Random shapes (H and I not multiples of anything), modes, groups and padding.
    #[test]
    fn random_layers_match_the_cpu(
        h in 1usize..70, i in 1usize..50, e in 1usize..300, k_pick in 0usize..8, t in 1usize..60,
        mode in 0u8..3, seed: u64,
    ) {
        let ctx = gpu();
        let k = 1 + k_pick % e;
        let w = DenseMoeWeights::random(DenseMoeConfig::new(h, i, e, k).unwrap(), seed).unwrap();
        let layer = DenseMoeLayer::new(ctx, &w).unwrap();
        let x = SplitMix64::new(seed ^ 1).normals(t * h);
        let routing = Routing {
            mode: [RoutingMode::TokenChoice, RoutingMode::Unified, RoutingMode::ExpertChoice][mode as usize],
            budget: (mode > 0).then_some(0.5 + (seed % 7) as f64),
            group_tokens: [None, Some(5)][(seed >> 8) as usize % 2],
            mask: ((seed >> 16) % 2 == 1).then(|| (0..t).map(|x| x % 4 != 1).collect()),
            ..Default::default()
        };
        let got = layer.forward_blocking(&x, &routing, 0.5).unwrap();
        check_selection(&w, &x, &routing, 0.5, &got.routed);
        let mut want = vec![0.0; t * h];
        cpu::dense_moe_experts(&w, &x, &got.routed, &mut want);
        assert_close("random layer", &got.output, &want, 1e-5, 1e-4);
    }
}

/// E = 4096 experts (the largest router): every mode runs, one GEMM pair per expert with pairs.
#[test]
fn four_thousand_experts() {
    let ctx = gpu();
    let (h, i, e, k, t) = (8, 8, 4096, 2, 48);
    let w = DenseMoeWeights::random(DenseMoeConfig::new(h, i, e, k).unwrap(), 9).unwrap();
    let layer = DenseMoeLayer::new(ctx, &w).unwrap();
    let x = SplitMix64::new(10).normals(t * h);
    for routing in [
        Routing::token_choice(),
        Routing::unified(3.0),
        Routing::expert_choice(1),
    ] {
        let got = layer.forward_blocking(&x, &routing, 0.5).unwrap();
        check_selection(&w, &x, &routing, 0.5, &got.routed);
        let mut want = vec![0.0; t * h];
        cpu::dense_moe_experts(&w, &x, &got.routed, &mut want);
        assert_close("E = 4096", &got.output, &want, 1e-5, 1e-4);
    }
}
