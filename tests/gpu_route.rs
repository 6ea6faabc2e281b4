//! The routing modes' GPU stages against their CPU twins: every product-key candidate
//! (`router_candidates`), unified routing's radix select with its compaction (`route_select`), and the
//! ragged expert stage.

mod common;

use common::gpu;
use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, elem_bytes, Bind};
use omnimoe::gpu::stages::{self, Recorder, RouteScratch, Table};
use omnimoe::gpu::Context;
use omnimoe::rng::SplitMix64;
use omnimoe::routing::{Routed, Routing, RoutingMode};
use proptest::prelude::*;

fn u32_buf(ctx: &Context, v: &[u32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

fn f32_buf(ctx: &Context, v: &[f32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

fn submit(ctx: &Context, rec: Recorder) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
}

fn read_u32(ctx: &Context, b: &wgpu::Buffer, len: usize) -> Vec<u32> {
    pollster::block_on(buffers::read_u32(ctx, b, 0, len)).unwrap()
}

fn read_f32(ctx: &Context, b: &wgpu::Buffer, len: usize) -> Vec<f32> {
    pollster::block_on(buffers::read_f32(ctx, b, 0, len)).unwrap()
}

/// Random candidates of `t` tokens, `m` each: distinct experts below `n` in ascending order (as the router
/// writes them), scores on a coarse grid (ties).
fn candidates(t: usize, m: usize, n: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
    let mut rng = SplitMix64::new(seed);
    let mut scores = Vec::with_capacity(t * m);
    let mut experts = Vec::with_capacity(t * m);
    for _ in 0..t {
        let mut ids: Vec<u32> = (0..n as u32).collect();
        for i in 0..m {
            let j = i + (rng.next_u64() as usize % (n - i));
            ids.swap(i, j);
        }
        let mut row: Vec<(f32, u32)> = ids[..m]
            .iter()
            .map(|&e| (-((rng.uniform(0.0, 12.0) * 2.0).round() / 2.0), e))
            .collect();
        row.sort_by_key(|c| c.1);
        for (s, e) in row {
            scores.push(s);
            experts.push(e);
        }
    }
    (scores, experts)
}

/// The GPU's selection of `routing` (unified or expert choice) over the candidates of experts below `n`,
/// as a [`Routed`].
fn gpu_select(
    ctx: &Context,
    scores: &[f32],
    experts: &[u32],
    m: usize,
    routing: &Routing,
    k: usize,
    n: usize,
) -> Routed {
    let t = scores.len() / m;
    let s = routing.group_tokens.unwrap_or(t).max(1);
    let expert_choice = routing.mode == RoutingMode::ExpertChoice;
    let budgets = routing.group_budgets(0, t, k, n, m);
    let valid: Vec<u32> = (0..t).map(|x| routing.routed(x) as u32).collect();
    let (sb, eb, vb) = (
        f32_buf(ctx, scores),
        u32_buf(ctx, experts),
        u32_buf(ctx, &valid),
    );
    let state = u32_buf(ctx, &stages::route_state(&budgets));
    let dims = (t as u32, m as u32, s as u32, n as u32);
    let scratch = RouteScratch::new(ctx, dims, (t * m) as u64, expert_choice);
    let mut rec = Recorder::new(ctx);
    let all = Bind::all;
    scratch.record(&mut rec, all(&sb), all(&eb), all(&vb), all(&state));
    submit(ctx, rec);
    pollster::block_on(scratch.read(ctx)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The GPU keeps exactly the CPU oracle's pairs (ties included), per group and with padding, in the
    /// unified mode and in expert choice.
    #[test]
    fn route_select_equals_the_sort_oracle(
        t in 1usize..300, m_pow in 0u32..12, budget in 0.05f64..8.0, group in 0usize..4, pad in 0usize..3,
        expert_choice: bool, seed: u64,
    ) {
        let ctx = gpu();
        let m = 1usize << (m_pow + 1);
        let m = if seed % 3 == 0 { m - 1 } else { m };
        let t = t.min((1 << 16) / m).max(1);
        let n = 2 * m + 5;
        let (scores, experts) = candidates(t, m, n, seed);
        let routing = Routing {
            mode: if expert_choice { RoutingMode::ExpertChoice } else { RoutingMode::Unified },
            budget: Some(budget),
            group_tokens: [None, Some(1), Some(7), Some(64)][group],
            mask: (pad > 0).then(|| (0..t).map(|x| x % (pad + 2) != 0).collect()),
            ..Default::default()
        };
        let k = 4;
        let keep = cpu::route_select(&scores, &experts, m, &routing, k, n);
        let want = cpu::routed_from_mask(&scores, &experts, m, &keep);
        let got = gpu_select(ctx, &scores, &experts, m, &routing, k, n);
        prop_assert_eq!(&got.offsets, &want.offsets);
        prop_assert_eq!(&got.experts, &want.experts);
        prop_assert_eq!(&got.scores, &want.scores);
    }
}

/// Up to 1024 candidates a token, thousands of tokens: a group of 2^20 elements over many histogram
/// workgroups.
#[test]
fn route_select_over_a_large_group() {
    let ctx = gpu();
    let (t, m) = (1024, 1024);
    let (scores, experts) = candidates(t, m, 4096, 3);
    for budget in [0.5, 16.0, 700.0] {
        let routing = Routing::unified(budget);
        let keep = cpu::route_select(&scores, &experts, m, &routing, 16, 4096);
        let want = cpu::routed_from_mask(&scores, &experts, m, &keep);
        let got = gpu_select(ctx, &scores, &experts, m, &routing, 16, 4096);
        assert_eq!(got, want, "budget {budget}");
    }
    for capacity in [1, 40] {
        let routing = Routing::expert_choice(capacity);
        let keep = cpu::route_select(&scores, &experts, m, &routing, 16, 4096);
        let want = cpu::routed_from_mask(&scores, &experts, m, &keep);
        let got = gpu_select(ctx, &scores, &experts, m, &routing, 16, 4096);
        assert_eq!(got, want, "capacity {capacity}");
    }
}

/// router_candidates writes every product-key candidate of each token as the CPU twin does.
#[test]
fn router_candidates_match_the_cpu() {
    let ctx = gpu();
    for (t, r, k) in [
        (5, 4, 4),
        (37, 16, 8),
        (20, 64, 16),
        (9, 40, 32),
        (3, 1100, 2),
    ] {
        let mut rng = SplitMix64::new(r as u64);
        let ell: Vec<f32> = (0..t * 2 * r)
            .map(|_| -((rng.uniform(0.0, 8.0) * 4.0).round() / 4.0))
            .collect();
        let (want_s, want_e) = cpu::router_candidates(&ell, r, k);
        let m = want_s.len() / t;
        let eb = f32_buf(ctx, &ell);
        let sb = buffers::storage(ctx, "s", (t * m) as u64 * 4);
        let ib = buffers::storage(ctx, "i", (t * m) as u64 * 4);
        let mut rec = Recorder::new(ctx);
        let all = Bind::all;
        let dims = (t as u32, r as u32, k as u32);
        stages::router_candidates(&mut rec, dims, all(&eb), all(&sb), all(&ib), None);
        submit(ctx, rec);
        assert_eq!(read_f32(ctx, &sb, t * m), want_s, "T {t} R {r} K {k}");
        assert_eq!(read_u32(ctx, &ib, t * m), want_e, "T {t} R {r} K {k}");
    }
    // By rank from the raw logits, normalising first: against the CPU's normalise then candidates.
    for (t, r, k) in [(33, 16, 8), (20, 64, 16), (7, 100, 12)] {
        assert!(stages::candidates_by_rank(r as u32, k as u32));
        let mut rng = SplitMix64::new(r as u64 + 1);
        let z: Vec<f32> = (0..t * 2 * r).map(|_| rng.uniform(-3.0, 3.0)).collect();
        let mean: Vec<f32> = (0..2 * r).map(|_| rng.uniform(-0.3, 0.3)).collect();
        let var: Vec<f32> = (0..2 * r).map(|_| rng.uniform(0.5, 2.0)).collect();
        let mut ell = vec![0.0; z.len()];
        cpu::router_normalise(&z, &mean, &var, &mut ell);
        let (want_s, want_e) = cpu::router_candidates(&ell, r, k);
        let m = want_s.len() / t;
        let (zb, mb, vb) = (f32_buf(ctx, &z), f32_buf(ctx, &mean), f32_buf(ctx, &var));
        let sb = buffers::storage(ctx, "s", (t * m) as u64 * 4);
        let ib = buffers::storage(ctx, "i", (t * m) as u64 * 4);
        let mut rec = Recorder::new(ctx);
        let all = Bind::all;
        let dims = (t as u32, r as u32, k as u32);
        let norm = Some((all(&mb), all(&vb)));
        stages::router_candidates(&mut rec, dims, all(&zb), all(&sb), all(&ib), norm);
        submit(ctx, rec);
        // f32 normalising against the CPU's f64: the same candidates in expert order, scores within 1e-5.
        let (gs, ge) = (read_f32(ctx, &sb, t * m), read_u32(ctx, &ib, t * m));
        for tok in 0..t {
            let row = tok * m..(tok + 1) * m;
            let mut got: Vec<(u32, f32)> = row.clone().map(|i| (ge[i], gs[i])).collect();
            let mut want: Vec<(u32, f32)> = row.clone().map(|i| (want_e[i], want_s[i])).collect();
            assert!(
                ge[row.clone()].windows(2).all(|w| w[0] < w[1]),
                "token {tok}: not in expert order"
            );
            got.sort_by_key(|p| p.0);
            want.sort_by_key(|p| p.0);
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "T {t} R {r} K {k} token {tok}: candidates");
                assert!(
                    (g.1 - w.1).abs() <= 1e-5,
                    "token {tok} expert {}: {} vs {}",
                    g.0,
                    g.1,
                    w.1
                );
            }
        }
    }
}

/// The ragged expert stage equals the CPU's expert branch over the same pairs (0 .. many a token).
#[test]
fn expert_ragged_matches_the_cpu() {
    let ctx = gpu();
    for (h, n, seed) in [(32usize, 64usize, 1u64), (30, 50, 2), (64, 300, 3)] {
        let config = omnimoe::OmniMoeConfig::new(h, 8, n, 2).unwrap();
        let w = omnimoe::OmniMoeWeights::random(config, seed).unwrap();
        let t = 40;
        let x = SplitMix64::new(seed).normals(t * h);
        let mut rng = SplitMix64::new(seed ^ 9);
        let mut routed = Routed {
            offsets: vec![0],
            ..Default::default()
        };
        for tok in 0..t {
            // 0 pairs for some tokens, up to 300 (three batches of the combine) for others.
            let count = [0, 1, 5, 130, 300][tok % 5];
            for _ in 0..count {
                routed.experts.push((rng.next_u64() % n as u64) as u32);
                routed.scores.push(rng.uniform(-6.0, 0.0));
            }
            routed.offsets.push(routed.experts.len() as u32);
        }
        let mut want = vec![0.0; t * h];
        cpu::expert_branch(&w, &x, &routed, &mut want);
        let pairs = routed.experts.len();
        let xb = buffers::upload(ctx, "x", &elem_bytes(&x, false));
        let ub = buffers::upload(ctx, "u", &elem_bytes(&w.up_embed, false));
        let vb = buffers::upload(ctx, "v", &elem_bytes(&w.down_embed, false));
        let (ob, eb, sb) = (
            u32_buf(ctx, &routed.offsets),
            u32_buf(ctx, &routed.experts),
            f32_buf(ctx, &routed.scores),
        );
        let hb = buffers::storage(ctx, "h", pairs as u64 * 4);
        let yb = buffers::storage(ctx, "y", (t * h) as u64 * 4);
        let mut rec = Recorder::new(ctx);
        let all = Bind::all;
        stages::expert_ragged(
            &mut rec,
            false,
            (t as u32, h as u32),
            all(&xb),
            Table::one(&ub),
            Table::one(&vb),
            all(&ob),
            all(&eb),
            all(&sb),
            all(&hb),
            all(&yb),
            None,
        );
        submit(ctx, rec);
        let got = read_f32(ctx, &yb, t * h);
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 + 1e-4 * b.abs(),
                "H {h}: element {i} (token {}): {a} vs {b}",
                i / h
            );
        }
        for tok in (0..t).filter(|tok| tok % 5 == 0) {
            assert!(
                got[tok * h..(tok + 1) * h].iter().all(|&v| v == 0.0),
                "token {tok}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// The unified score of a dense router's logits against the CPU twin (f64).
    #[test]
    fn unified_score_matches_the_cpu(t in 1usize..40, e in 1usize..4100, alpha in 0.0f32..1.0, seed: u64) {
        let ctx = gpu();
        let logits = SplitMix64::new(seed).normals(t * e).iter().map(|v| 3.0 * v).collect::<Vec<_>>();
        let mut want = vec![0.0; t * e];
        cpu::route_unified_score(&logits, e, alpha, &mut want);
        let lb = f32_buf(ctx, &logits);
        let ub = buffers::storage(ctx, "u", (t * e) as u64 * 4);
        let mut rec = Recorder::new(ctx);
        stages::route_unified_score(&mut rec, (t as u32, e as u32), alpha, Bind::all(&lb), Bind::all(&ub));
        submit(ctx, rec);
        let got = read_f32(ctx, &ub, t * e);
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            prop_assert!((a - b).abs() <= 1e-5 * b.abs() + 1e-9, "element {}: {} vs {}", i, a, b);
        }
    }
}

/// Tokens that keep thousands of their up to 8192 candidates: the compaction and the per-token order
/// stay exact (a loop over every candidate of a token for every kept one once exceeded what llvmpipe
/// runs in one invocation).
#[test]
fn tokens_keeping_thousands_of_pairs() {
    let ctx = gpu();
    for (mode, m, t, budget) in [
        (RoutingMode::Unified, 4096usize, 1usize, 3000.0f64),
        (RoutingMode::Unified, 8192, 2, 7000.0),
        (RoutingMode::ExpertChoice, 8192, 3, 0.05),
    ] {
        let n = 2 * m + 5;
        let (scores, experts) = candidates(t, m, n, 0);
        let routing = Routing {
            mode,
            budget: Some(budget),
            ..Default::default()
        };
        let keep = cpu::route_select(&scores, &experts, m, &routing, 4, n);
        let want = cpu::routed_from_mask(&scores, &experts, m, &keep);
        assert!(want.max_per_token() > 2000, "{mode:?}");
        let got = gpu_select(ctx, &scores, &experts, m, &routing, 4, n);
        assert_eq!(got, want, "{mode:?} M = {m}");
    }
}

/// One scratch, selections in a row: expert choice with padding after expert choice without (the
/// padding's candidates, which no bucket visits, must not stay kept from the selection before).
#[test]
fn expert_choice_on_reused_scratch_keeps_no_padding() {
    let ctx = gpu();
    let (t, m, n) = (30usize, 12usize, 12usize);
    let (scores, experts) = candidates(t, m, n, 4);
    let scratch = RouteScratch::new(
        ctx,
        (t as u32, m as u32, t as u32, n as u32),
        (t * m) as u64,
        true,
    );
    let (sb, eb) = (f32_buf(ctx, &scores), u32_buf(ctx, &experts));
    let padded = Routing {
        mask: Some((0..t).map(|x| x % 3 != 0).collect()),
        ..Routing::expert_choice(3)
    };
    for routing in [Routing::expert_choice(3), padded] {
        let valid: Vec<u32> = (0..t).map(|x| routing.routed(x) as u32).collect();
        let budgets = routing.group_budgets(0, t, 2, n, m);
        let (vb, state) = (
            u32_buf(ctx, &valid),
            u32_buf(ctx, &stages::route_state(&budgets)),
        );
        let mut rec = Recorder::new(ctx);
        let all = Bind::all;
        scratch.record(&mut rec, all(&sb), all(&eb), all(&vb), all(&state));
        submit(ctx, rec);
        let got = pollster::block_on(scratch.read(ctx)).unwrap();
        let keep = cpu::route_select(&scores, &experts, m, &routing, 2, n);
        assert_eq!(got, cpu::routed_from_mask(&scores, &experts, m, &keep));
    }
}
