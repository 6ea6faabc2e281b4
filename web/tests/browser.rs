//! The GPU stages in a real browser (headless Chromium on WebGPU, through wasm-bindgen-test and
//! chromedriver), each against its CPU twin compiled to WebAssembly; the whole layer is in
//! `browser_layer.rs`.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, Bind};
use omnimoe::gpu::stages::{self, Epilogue, GemmKernel, Recorder, ScatterScratch, ScoresSchedule};
use omnimoe::rng::SplitMix64;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

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
        let (ab, db) = (up(&ctx, &a), up(&ctx, &d));
        // B in rows, and in K slabs where K % 8 == 0.
        let mut bs = vec![(false, up(&ctx, &b))];
        if k.is_multiple_of(stages::SLAB_K) {
            bs.push((true, up(&ctx, &stages::to_slabs(&b, k))));
        }
        let out = if epilogue == 2 { m * n / 2 } else { m * n };
        let cb = buffers::storage(&ctx, "c", out as u64 * 4);
        for (k_step, (slabs, bb)) in [8, 16]
            .into_iter()
            .flat_map(|s| bs.iter().map(move |b| (s, b)))
        {
            let slabs = *slabs;
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
                slabs,
                stream_k: None,
            };
            let dims = (m as u32, n as u32, k as u32);
            stages::gemm(
                &mut rec,
                "gemm",
                kernel,
                dims,
                Bind::all(&ab),
                Bind::all(bb),
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
                &format!("gemm {m}x{n}x{k} epilogue {epilogue}, {kernel:?}"),
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
