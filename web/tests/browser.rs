//! The GPU stages and the whole layer in a real browser (headless Chromium on WebGPU, through
//! wasm-bindgen-test and chromedriver), each against its CPU twin compiled to WebAssembly, plus golden files.
#![cfg(target_arch = "wasm32")]

use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, Bind};
use omnimoe::gpu::stages::{self, Epilogue, GemmKernel, Recorder, ScatterScratch, ScoresSchedule};
use omnimoe::gpu::{Context, LayerOptions, OmniMoeLayer};
use omnimoe::io::TensorFile;
use omnimoe::rng::SplitMix64;
use omnimoe::{LoadOptions, OmniMoeConfig, OmniMoeWeights};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn ctx() -> Context {
    Context::new()
        .await
        .unwrap_or_else(|e| panic!("the browser tests need WebGPU: {e}"))
}

fn uniform(seed: u64, len: usize, lo: f32, hi: f32) -> Vec<f32> {
    let mut r = SplitMix64::new(seed);
    (0..len).map(|_| r.uniform(lo, hi)).collect()
}

fn up(ctx: &Context, v: &[f32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

fn up_u32(ctx: &Context, v: &[u32]) -> wgpu::Buffer {
    buffers::upload(ctx, "test", bytemuck::cast_slice(v))
}

fn submit(ctx: &Context, rec: Recorder<'_>) {
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
}

fn close(what: &str, gpu: &[f32], cpu: &[f32], abs: f32, rel: f32) {
    assert_eq!(gpu.len(), cpu.len(), "{what}");
    for (i, (a, b)) in gpu.iter().zip(cpu).enumerate() {
        assert!(
            (a - b).abs() <= abs + rel * b.abs(),
            "{what}[{i}]: gpu {a} cpu {b}"
        );
    }
}

#[wasm_bindgen_test]
async fn gemm_matches_cpu() {
    let ctx = ctx().await;
    for &(m, n, k, epilogue) in &[
        (1, 2, 3, 0u8),
        (70, 130, 20, 0),
        (33, 66, 64, 1),
        (129, 40, 17, 2),
        (5, 258, 8, 2),
    ] {
        let a = uniform(1, m * k, -1.0, 1.0);
        let b = uniform(2, n * k, -1.0, 1.0);
        let d = uniform(3, m * n, -1.0, 1.0);
        let mut want = vec![0.0; m * n];
        cpu::gemm_nt(&a, &b, m, n, k, &mut want);
        let (ab, bb, db) = (up(&ctx, &a), up(&ctx, &b), up(&ctx, &d));
        let out = if epilogue == 2 { m * n / 2 } else { m * n };
        let cb = buffers::storage(&ctx, "c", out as u64 * 4);
        for k_step in [8, 16] {
            let mut rec = Recorder::new(&ctx);
            let ep = match epilogue {
                0 => Epilogue::Store,
                1 => Epilogue::Add(Bind::all(&db)),
                _ => Epilogue::SwiGlu { router: None },
            };
            let kernel = GemmKernel::Simt {
                f16: false,
                k_step,
                double_buffer: false,
            };
            let dims = (m as u32, n as u32, k as u32);
            stages::gemm(
                &mut rec,
                "gemm",
                kernel,
                dims,
                Bind::all(&ab),
                Bind::all(&bb),
                Bind::all(&cb),
                ep,
                stages::Columns::ALL,
            );
            submit(&ctx, rec);
            let got = buffers::read_f32(&ctx, &cb, 0, out).await.unwrap();
            let expect: Vec<f32> = match epilogue {
                0 => want.clone(),
                1 => want.iter().zip(&d).map(|(c, d)| c + d).collect(),
                _ => {
                    let (g, u): (Vec<f32>, Vec<f32>) = want.chunks(2).map(|c| (c[0], c[1])).unzip();
                    let mut act = vec![0.0; g.len()];
                    cpu::swiglu(&g, &u, &mut act);
                    act
                }
            };
            close(
                &format!("gemm {m}x{n}x{k} epilogue {epilogue}"),
                &got,
                &expect,
                1e-4,
                1e-4,
            );
        }
    }
}

#[wasm_bindgen_test]
async fn router_stages_match_cpu() {
    let ctx = ctx().await;
    for &(t, r, k) in &[
        (1usize, 4usize, 4usize),
        (9, 17, 6),
        (20, 32, 16),
        (3, 8, 64),
    ] {
        let z = uniform(4, t * 2 * r, -5.0, 5.0);
        let mean = uniform(5, 2 * r, -0.2, 0.2);
        let var = uniform(6, 2 * r, 0.5, 2.0);
        let mut ell = vec![0.0; t * 2 * r];
        cpu::router_normalise(&z, &mean, &var, &mut ell);
        let (mut scores, mut indices) = (vec![0.0; t * k], vec![0u32; t * k]);
        cpu::router_topk(&ell, r, k, &mut scores, &mut indices);
        let (zb, mb, vb) = (up(&ctx, &z), up(&ctx, &mean), up(&ctx, &var));
        let eb = buffers::storage(&ctx, "ell", (t * 2 * r * 4) as u64);
        let eb_exact = up(&ctx, &ell);
        let sb = buffers::storage(&ctx, "scores", (t * k * 4) as u64);
        let ib = buffers::storage(&ctx, "indices", (t * k * 4) as u64);
        let mut rec = Recorder::new(&ctx);
        let dims = (t as u32, r as u32);
        stages::router_normalise(
            &mut rec,
            dims,
            Bind::all(&zb),
            Bind::all(&mb),
            Bind::all(&vb),
            Bind::all(&eb),
        );
        let dims = (t as u32, r as u32, k as u32);
        stages::router_topk(
            &mut rec,
            dims,
            Bind::all(&eb_exact),
            Bind::all(&sb),
            Bind::all(&ib),
            None,
        );
        submit(&ctx, rec);
        let got = buffers::read_f32(&ctx, &eb, 0, t * 2 * r).await.unwrap();
        close("router_normalise", &got, &ell, 2e-5, 2e-6);
        assert_eq!(
            buffers::read_f32(&ctx, &sb, 0, t * k).await.unwrap(),
            scores,
            "router_topk scores"
        );
        assert_eq!(
            buffers::read_u32(&ctx, &ib, 0, t * k).await.unwrap(),
            indices,
            "router_topk indices"
        );
    }
}

#[wasm_bindgen_test]
async fn counting_sort_matches_cpu() {
    let ctx = ctx().await;
    for &(pairs, n) in &[(1usize, 4usize), (700, 300), (3000, 70000)] {
        let r = omnimoe::config::isqrt(n);
        let mut rng = SplitMix64::new(7);
        let indices: Vec<u32> = (0..pairs)
            .map(|_| (rng.next_u64() % (r * r) as u64) as u32)
            .collect();
        let (mut count, mut offset, mut perm) = (vec![0; n], vec![0; n + 1], vec![0; pairs]);
        cpu::expert_histogram(&indices, &mut count);
        cpu::expert_scan(&count, &mut offset);
        cpu::expert_scatter(&indices, &offset, &mut perm);
        let ib = up_u32(&ctx, &indices);
        let cb = buffers::storage(&ctx, "count", n as u64 * 4);
        let ob = buffers::storage(&ctx, "offset", (n as u64 + 1) * 4);
        let sums = buffers::storage(&ctx, "sums", 4096);
        let scratch = ScatterScratch::new(&ctx, pairs as u32);
        let mut rec = Recorder::new(&ctx);
        stages::expert_histogram(
            &mut rec,
            (pairs as u32, n as u32),
            Bind::all(&ib),
            Bind::all(&cb),
        );
        stages::expert_scan(
            &mut rec,
            "scan",
            n as u32,
            Bind::all(&cb),
            Bind::all(&ob),
            Bind::all(&sums),
        );
        let which = stages::expert_scatter(
            &mut rec,
            (pairs as u32, (r * r) as u32),
            Bind::all(&ib),
            &scratch,
        );
        submit(&ctx, rec);
        assert_eq!(buffers::read_u32(&ctx, &cb, 0, n).await.unwrap(), count);
        assert_eq!(
            buffers::read_u32(&ctx, &ob, 0, n + 1).await.unwrap(),
            offset
        );
        assert_eq!(
            buffers::read_u32(&ctx, &scratch.vals[which], 0, pairs)
                .await
                .unwrap(),
            perm
        );
    }
}

#[wasm_bindgen_test]
async fn expert_stages_match_cpu() {
    let ctx = ctx().await;
    for &(t, h, k, n) in &[
        (1usize, 3usize, 2usize, 4usize),
        (25, 70, 6, 300),
        (40, 64, 16, 1024),
    ] {
        let r = omnimoe::config::isqrt(n);
        let x = uniform(8, t * h, -2.0, 2.0);
        let upv = uniform(9, n * h, -1.0, 1.0);
        let down = uniform(10, n * h, -1.0, 1.0);
        let scores = uniform(11, t * k, -6.0, -0.1);
        let mut rng = SplitMix64::new(12);
        let indices: Vec<u32> = (0..t * k)
            .map(|_| (rng.next_u64() % (r * r) as u64) as u32)
            .collect();
        let mut hk = vec![0.0; t * k];
        cpu::expert_scores(&x, &upv, h, &scores, &indices, &mut hk);
        let mut sparse = vec![0.0; t * h];
        cpu::expert_combine(&hk, &indices, &down, h, &mut sparse);
        let (mut count, mut offset, mut perm) = (vec![0; n], vec![0; n + 1], vec![0; t * k]);
        cpu::expert_histogram(&indices, &mut count);
        cpu::expert_scan(&count, &mut offset);
        cpu::expert_scatter(&indices, &offset, &mut perm);
        let (xb, ub, vb, sb) = (
            up(&ctx, &x),
            up(&ctx, &upv),
            up(&ctx, &down),
            up(&ctx, &scores),
        );
        let (ib, ob, pb) = (
            up_u32(&ctx, &indices),
            up_u32(&ctx, &offset),
            up_u32(&ctx, &perm),
        );
        let h_ec = buffers::storage(&ctx, "h", (t * k * 4) as u64);
        let h_tc = buffers::storage(&ctx, "h", (t * k * 4) as u64);
        let yb = buffers::storage(&ctx, "sparse", (t * h * 4) as u64);
        let mut rec = Recorder::new(&ctx);
        let dims = (t as u32, h as u32, k as u32, n as u32);
        let ec = ScoresSchedule::ExpertCentric {
            offset: Bind::all(&ob),
            perm: Bind::all(&pb),
        };
        stages::expert_scores(
            &mut rec,
            false,
            dims,
            Bind::all(&xb),
            stages::Table::one(&ub),
            Bind::all(&sb),
            Bind::all(&h_ec),
            ec,
        );
        let tc = ScoresSchedule::TokenCentric {
            indices: Bind::all(&ib),
        };
        stages::expert_scores(
            &mut rec,
            false,
            dims,
            Bind::all(&xb),
            stages::Table::one(&ub),
            Bind::all(&sb),
            Bind::all(&h_tc),
            tc,
        );
        let dims = (t as u32, h as u32, k as u32);
        stages::expert_combine(
            &mut rec,
            false,
            dims,
            Bind::all(&h_tc),
            Bind::all(&ib),
            stages::Table::one(&vb),
            stages::ExpertOut::Store(Bind::all(&yb)),
        );
        submit(&ctx, rec);
        let a = buffers::read_f32(&ctx, &h_ec, 0, t * k).await.unwrap();
        let b = buffers::read_f32(&ctx, &h_tc, 0, t * k).await.unwrap();
        assert_eq!(a, b, "expert-centric and token-centric differ");
        close("expert_scores", &a, &hk, 1e-4, 1e-4);
        let y = buffers::read_f32(&ctx, &yb, 0, t * h).await.unwrap();
        close("expert_combine", &y, &sparse, 1e-4, 1e-4);
    }
}

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
