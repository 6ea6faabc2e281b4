//! The expert stages against their CPU twins: the counting sort, expert scores (both schedules),
//! expert_token, expert_combine, the branch added to the down projection's output (or its partial
//! products), and partial products stored with permuted columns.

use super::common::gpu;
use super::common::stage_io::*;
use super::support::*;
use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, elem_bytes, elem_size, Bind};
use omnimoe::gpu::stages::{self, Recorder, ScatterScratch, ScoresSchedule};
use omnimoe::gpu::Context;
use omnimoe::rng::SplitMix64;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn counting_sort_matches_cpu(t in 1usize..300, k_half in 1usize..=8, n in prop_oneof![4usize..300, 300usize..5000, 60000usize..80000], seed: u64) {
        let ctx = gpu();
        let r = omnimoe::config::isqrt(n);
        let k = 2 * k_half;
        let mut rng = SplitMix64::new(seed);
        // Skewed: a third of the pairs go to a handful of experts.
        let indices: Vec<u32> = (0..t * k)
            .map(|_| {
                let e = rng.next_u64() as usize % (r * r);
                (if rng.next_u64().is_multiple_of(3) { e % 5 } else { e }) as u32
            })
            .collect();
        let pairs = indices.len();
        let (mut count, mut offset, mut perm) = (vec![0; n], vec![0; n + 1], vec![0; pairs]);
        cpu::expert_histogram(&indices, &mut count);
        cpu::expert_scan(&count, &mut offset);
        cpu::expert_scatter(&indices, &offset, &mut perm);
        let ib = u32_buf(ctx, &indices);
        let cb = buffers::storage(ctx, "count", n as u64 * 4);
        let ob = buffers::storage(ctx, "offset", (n as u64 + 1) * 4);
        let sums = buffers::storage(ctx, "sums", 4096);
        let scratch = ScatterScratch::new(ctx, pairs as u32);
        let mut rec = Recorder::new(ctx);
        stages::expert_histogram(&mut rec, (pairs as u32, n as u32), Bind::all(&ib), Bind::all(&cb));
        stages::expert_scan(&mut rec, "scan", n as u32, Bind::all(&cb), Bind::all(&ob), Bind::all(&sums));
        let which = stages::expert_scatter(&mut rec, (pairs as u32, (r * r) as u32), Bind::all(&ib), &scratch);
        submit(ctx, rec);
        prop_assert_eq!(read_u32(ctx, &cb, n), count);
        prop_assert_eq!(read_u32(ctx, &ob, n + 1), offset);
        prop_assert_eq!(read_u32(ctx, &scratch.vals[which], pairs), perm);
    }

    #[test]
    fn expert_scores_both_schedules_match_cpu(t in 1usize..60, h in 1usize..140, k_half in 1usize..=10, n in 4usize..3000, seed: u64) {
        let ctx = gpu();
        let k = 2 * k_half;
        let r = omnimoe::config::isqrt(n);
        prop_assume!(k <= r * r);
        for f16 in f16_modes(ctx) {
            let mut x = uniform(seed, t * h, -2.0, 2.0);
            let mut up = uniform(seed ^ 1, n * h, -1.0, 1.0);
            if f16 {
                (x, up) = (to_f16(&x), to_f16(&up));
            }
            let scores = uniform(seed ^ 2, t * k, -9.0, -0.1);
            let mut rng = SplitMix64::new(seed ^ 3);
            let indices: Vec<u32> = (0..t * k).map(|_| (rng.next_u64() % (r * r) as u64) as u32).collect();
            let mut want = vec![0.0; t * k];
            cpu::expert_scores(&x, &up, h, &scores, &indices, &mut want);
            let (mut count, mut offset, mut perm) = (vec![0; n], vec![0; n + 1], vec![0; t * k]);
            cpu::expert_histogram(&indices, &mut count);
            cpu::expert_scan(&count, &mut offset);
            cpu::expert_scatter(&indices, &offset, &mut perm);
            let (xb, ub) = (buffers::upload(ctx, "x", &elem_bytes(&x, f16)), buffers::upload(ctx, "u", &elem_bytes(&up, f16)));
            let (sb, ib, ob, pb) = (f32_buf(ctx, &scores), u32_buf(ctx, &indices), u32_buf(ctx, &offset), u32_buf(ctx, &perm));
            let h_ec = buffers::storage(ctx, "h", (t * k * 4) as u64);
            let h_tc = buffers::storage(ctx, "h", (t * k * 4) as u64);
            let mut rec = Recorder::new(ctx);
            let dims = (t as u32, h as u32, k as u32, n as u32);
            let ec = ScoresSchedule::ExpertCentric { offset: Bind::all(&ob), perm: Bind::all(&pb) };
            stages::expert_scores(&mut rec, f16, dims, Bind::all(&xb), stages::Table::one(&ub), Bind::all(&sb), Bind::all(&h_ec), ec);
            let tc = ScoresSchedule::TokenCentric { indices: Bind::all(&ib) };
            stages::expert_scores(&mut rec, f16, dims, Bind::all(&xb), stages::Table::one(&ub), Bind::all(&sb), Bind::all(&h_tc), tc);
            submit(ctx, rec);
            let (a, b) = (read_f32(ctx, &h_ec, t * k), read_f32(ctx, &h_tc, t * k));
            prop_assert_eq!(&a, &b, "expert-centric and token-centric differ");
            let tol = |i: usize| {
                let (tt, e) = (i / k, indices[i] as usize);
                let mag: f32 = (0..h).map(|c| (x[tt * h + c] * up[e * h + c]).abs()).sum();
                2e-6 * mag * 1.1 * scores[i].exp() + 1e-5 * want[i].abs() + 1e-7
            };
            check("h", &a, &want, tol)?;
        }
    }

    #[test]
    fn expert_token_equals_the_two_passes_and_the_cpu(t in 1usize..40, h in prop_oneof![1usize..300, 1020usize..1300], k_half in 1usize..=64, n in 4usize..3000, seed: u64) {
        let ctx = gpu();
        let k = 2 * k_half;
        let r = omnimoe::config::isqrt(n);
        prop_assume!(k <= r * r);
        for f16 in f16_modes(ctx) {
            let (x, up, down) = expert_inputs(seed, t, h, n, f16);
            let scores = uniform(seed ^ 2, t * k, -9.0, -0.1);
            let mut rng = SplitMix64::new(seed ^ 3);
            let indices: Vec<u32> = (0..t * k).map(|_| (rng.next_u64() % (r * r) as u64) as u32).collect();
            let mut want = vec![0.0; t * h];
            cpu::expert_token(&x, &up, &down, h, &scores, &indices, &mut want);
            let (xb, ub, vb) = (
                buffers::upload(ctx, "x", &elem_bytes(&x, f16)),
                buffers::upload(ctx, "u", &elem_bytes(&up, f16)),
                buffers::upload(ctx, "v", &elem_bytes(&down, f16)),
            );
            let (sb, ib) = (f32_buf(ctx, &scores), u32_buf(ctx, &indices));
            let hb = buffers::storage(ctx, "h", (t * k * 4) as u64);
            let (one, two) = (
                buffers::storage(ctx, "fused", (t * h * 4) as u64),
                buffers::storage(ctx, "passes", (t * h * 4) as u64),
            );
            let mut rec = Recorder::new(ctx);
            let (t32, h32, k32) = (t as u32, h as u32, k as u32);
            let all = Bind::all;
            stages::expert_token(&mut rec, f16, (t32, h32, k32), all(&xb), stages::Table::one(&ub), all(&sb), all(&ib), stages::Table::one(&vb), stages::ExpertOut::Store(all(&one)));
            let tc = ScoresSchedule::TokenCentric { indices: all(&ib) };
            stages::expert_scores(&mut rec, f16, (t32, h32, k32, n as u32), all(&xb), stages::Table::one(&ub), all(&sb), all(&hb), tc);
            stages::expert_combine(&mut rec, f16, (t32, h32, k32), all(&hb), all(&ib), stages::Table::one(&vb), stages::ExpertOut::Store(all(&two)));
            submit(ctx, rec);
            let (a, b) = (read_f32(ctx, &one, t * h), read_f32(ctx, &two, t * h));
            prop_assert_eq!(&a, &b, "one pass and two passes differ");
            let tol = branch_tolerance((&x, &up, &down), (h, k), (&scores, &indices));
            check("sparse", &a, &want, tol)?;
        }
    }

    #[test]
    fn expert_combine_matches_cpu(t in 1usize..60, h in 1usize..300, k_half in 1usize..=64, n in 4usize..3000, seed: u64) {
        let ctx = gpu();
        let k = 2 * k_half;
        for f16 in f16_modes(ctx) {
            let hk = uniform(seed, t * k, -2.0, 2.0);
            let mut down = uniform(seed ^ 1, n * h, -1.0, 1.0);
            if f16 {
                down = to_f16(&down);
            }
            let mut rng = SplitMix64::new(seed ^ 2);
            let indices: Vec<u32> = (0..t * k).map(|_| (rng.next_u64() % n as u64) as u32).collect();
            let mut want = vec![0.0; t * h];
            cpu::expert_combine(&hk, &indices, &down, h, &mut want);
            let (hb, ib, vb) = (f32_buf(ctx, &hk), u32_buf(ctx, &indices), buffers::upload(ctx, "v", &elem_bytes(&down, f16)));
            let sb = buffers::storage(ctx, "sparse", (t * h * 4) as u64);
            let mut rec = Recorder::new(ctx);
            stages::expert_combine(&mut rec, f16, (t as u32, h as u32, k as u32), Bind::all(&hb), Bind::all(&ib), stages::Table::one(&vb), stages::ExpertOut::Store(Bind::all(&sb)));
            submit(ctx, rec);
            let tol = |i: usize| {
                let (tt, c) = (i / h, i % h);
                let mag: f32 = (0..k).map(|j| (hk[tt * k + j] * down[indices[tt * k + j] as usize * h + c]).abs()).sum();
                2e-6 * mag + 1e-7
            };
            check("sparse", &read_f32(ctx, &sb, t * h), &want, tol)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// The layer adds the expert branch to the down projection's output (ADD, f32 in place) or writes
    /// base + branch in the storage type (ADD_ELEM): one f32 addition onto the stored branch's bits, as
    /// the down GEMM's epilogue did when it added the stored branch. Both kernels, both variants; and
    /// with the base as split-K partial products (PARTIAL: 1 to 19 ranges of t or more rows), summed in
    /// range order from zero as gemm_reduce does.
    #[test]
    fn expert_branch_added_to_the_down_output_gives_the_stored_branch_plus_base(t in 1usize..20, h in 1usize..300, k_half in 1usize..=16, ranges in 1usize..20, seed: u64) {
        let ctx = gpu();
        let (k, n) = (2 * k_half, 1000usize);
        for f16 in f16_modes(ctx) {
            let base = uniform(seed ^ 6, t * h, -50.0, 50.0);
            let [xb, ub, vb, sb, ib, hb] = expert_case(ctx, seed, (t, h, n, k), f16);
            let (u, v) = (stages::Table::one(&ub), stages::Table::one(&vb));
            let all = Bind::all;
            let dims = (t as u32, h as u32, k as u32);
            // Partial products [ranges, rows, h] and their sum over ranges in order.
            let rows = t + (seed % 3) as usize;
            let parts = uniform(seed ^ 7, ranges * rows * h, -20.0, 20.0);
            let summed: Vec<f32> = (0..t * h)
                .map(|i| (0..ranges).fold(0.0f32, |s, z| s + parts[z * rows * h + i]))
                .collect();
            let parts_b = f32_buf(ctx, &parts);
            let partials = stages::Partials { buf: Bind::all(&parts_b), ranges: ranges as u32, rows: rows as u32, permuted: false };
            for fused in [false, true] {
                let stored = buffers::storage(ctx, "stored", (t * h * 4) as u64);
                let (in_place, base_b) = (f32_buf(ctx, &base), f32_buf(ctx, &base));
                let elem_out = buffers::storage(ctx, "elem", (t * h) as u64 * elem_size(f16));
                let (sum_out, sum_elem) = (
                    buffers::storage(ctx, "sum", (t * h * 4) as u64),
                    buffers::storage(ctx, "sum elem", (t * h) as u64 * elem_size(f16)),
                );
                let outs = [
                    stages::ExpertOut::Store(Bind::all(&stored)),
                    stages::ExpertOut::AddTo(Bind::all(&in_place)),
                    stages::ExpertOut::AddElem { base: Bind::all(&base_b), y: Bind::all(&elem_out) },
                    stages::ExpertOut::AddPartials { partials, y: Bind::all(&sum_out), elem: false },
                    stages::ExpertOut::AddPartials { partials, y: Bind::all(&sum_elem), elem: true },
                ];
                let mut rec = Recorder::new(ctx);
                for out in outs {
                    if fused {
                        stages::expert_token(&mut rec, f16, dims, all(&xb), u, all(&sb), all(&ib), v, out);
                    } else {
                        stages::expert_combine(&mut rec, f16, dims, all(&hb), all(&ib), v, out);
                    }
                }
                submit(ctx, rec);
                let branch = read_f32(ctx, &stored, t * h);
                let want: Vec<f32> = base.iter().zip(&branch).map(|(b, s)| b + s).collect();
                prop_assert_eq!(read_f32(ctx, &in_place, t * h), want.clone(), "ADD (fused: {})", fused);
                let want_sum: Vec<f32> = summed.iter().zip(&branch).map(|(b, s)| b + s).collect();
                prop_assert_eq!(read_f32(ctx, &sum_out, t * h), want_sum.clone(), "ADD PARTIAL (fused: {})", fused);
                let read_elem = |buf: &wgpu::Buffer| -> Vec<f32> {
                    if f16 {
                        let bytes = pollster::block_on(buffers::read_back(ctx, buf, 0, (t * h * 2) as u64)).unwrap();
                        bytes.chunks(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect()
                    } else {
                        read_f32(ctx, buf, t * h)
                    }
                };
                for (what, buf, want) in [("ADD_ELEM", &elem_out, &want), ("ADD_ELEM PARTIAL", &sum_elem, &want_sum)] {
                    for (i, (g, w)) in read_elem(buf).iter().zip(want).enumerate() {
                        // f16: the conversion of the same f32 sum (within one unit in the last place).
                        let ulp = if f16 { w.abs().max(6.2e-5) * 2f32.powi(-10) } else { 0.0 };
                        prop_assert!((g - w).abs() <= ulp, "{} (fused: {}, f16: {}) at {}: {} vs {}", what, fused, f16, i, g, w);
                    }
                }
            }
        }
    }
}

/// The expert stage's inputs for `t` tokens of `h` over `n` experts, `k` a token (`seed`), on the GPU: x,
/// U, V (the storage type), the scores, the expert ids and the hidden activations h (f32).
fn expert_case(
    ctx: &Context,
    seed: u64,
    (t, h, n, k): (usize, usize, usize, usize),
    f16: bool,
) -> [wgpu::Buffer; 6] {
    let (x, up, down) = expert_inputs(seed, t, h, n, f16);
    let scores = uniform(seed ^ 2, t * k, -9.0, -0.1);
    let hk = uniform(seed ^ 5, t * k, -2.0, 2.0);
    let mut rng = SplitMix64::new(seed ^ 3);
    let indices: Vec<u32> = (0..t * k)
        .map(|_| (rng.next_u64() % n as u64) as u32)
        .collect();
    [
        buffers::upload(ctx, "x", &elem_bytes(&x, f16)),
        buffers::upload(ctx, "u", &elem_bytes(&up, f16)),
        buffers::upload(ctx, "v", &elem_bytes(&down, f16)),
        f32_buf(ctx, &scores),
        u32_buf(ctx, &indices),
        f32_buf(ctx, &hk),
    ]
}

/// Where the SIMT kernel's PERM stores column `g` (shared/gemm_epilogue.wgsl): 32a + 4b + j at 32a + 8j + b.
fn perm_col(g: usize) -> usize {
    (g & !31) | ((g & 3) << 3) | ((g >> 2) & 7)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// The expert stage reads partial products stored with permuted columns (PERMUTED) to the
    /// same bits as the same products by rows: both kernels, f32 and storage-type outputs.
    #[test]
    fn permuted_partials_give_the_bits_of_rows(t in 1usize..12, h32 in 1usize..10, k_half in 1usize..=8, ranges in 1usize..6, seed: u64) {
        let ctx = gpu();
        let (h, k, n) = (32 * h32, 2 * k_half, 500usize);
        assert!(perm_col(0) == 0 && perm_col(4) == 1 && perm_col(1) == 8 && perm_col(33) == 40);
        for f16 in f16_modes(ctx) {
            let [xb, ub, vb, sb, ib, hb] = expert_case(ctx, seed, (t, h, n, k), f16);
            let (u, v) = (stages::Table::one(&ub), stages::Table::one(&vb));
            let dims = (t as u32, h as u32, k as u32);
            let rows = t + (seed % 3) as usize;
            let parts = uniform(seed ^ 7, ranges * rows * h, -20.0, 20.0);
            // The same products with each row's columns where PERM stores them.
            let mut scattered = vec![0.0f32; parts.len()];
            for (i, &value) in parts.iter().enumerate() {
                let (row, col) = (i / h, i % h);
                scattered[row * h + perm_col(col)] = value;
            }
            let (by_rows, by_perm) = (f32_buf(ctx, &parts), f32_buf(ctx, &scattered));
            for fused in [false, true] {
                for elem in [false, true] {
                    let size = (t * h) as u64 * if elem { elem_size(f16) } else { 4 };
                    let outs = [buffers::storage(ctx, "rows", size), buffers::storage(ctx, "perm", size)];
                    let mut rec = Recorder::new(ctx);
                    for (out, (buf, permuted)) in outs.iter().zip([(&by_rows, false), (&by_perm, true)]) {
                        let p = stages::Partials { buf: Bind::all(buf), ranges: ranges as u32, rows: rows as u32, permuted };
                        let out = stages::ExpertOut::AddPartials { partials: p, y: Bind::all(out), elem };
                        if fused {
                            stages::expert_token(&mut rec, f16, dims, Bind::all(&xb), u, Bind::all(&sb), Bind::all(&ib), v, out);
                        } else {
                            stages::expert_combine(&mut rec, f16, dims, Bind::all(&hb), Bind::all(&ib), v, out);
                        }
                    }
                    submit(ctx, rec);
                    let read = |b: &wgpu::Buffer| pollster::block_on(buffers::read_back(ctx, b, 0, size)).unwrap();
                    prop_assert_eq!(read(&outs[0]), read(&outs[1]), "fused {}, elem {}, f16 {}", fused, elem, f16);
                }
            }
        }
    }
}
