//! The router's stages against their CPU twins: the normalisation, the top-k selections (sort, by rank,
//! by subgroup), router_experts (the decode chain's router and expert stage in one workgroup) against
//! router_topk then expert_token, and the selection's subgroup tree against the tree through memory.

use super::common::stage_io::*;
use super::common::{bits, gpu};
use super::support::*;
use omnimoe::cpu;
use omnimoe::gpu::buffers::{self, elem_bytes, Bind};
use omnimoe::gpu::stages::{self, Recorder};
use omnimoe::gpu::Context;
use proptest::prelude::*;

/// Normalised logits `[t, 2r]` of a top-k test (random logits through the CPU's normalisation), with
/// `ties` on a coarse grid: many equal values in each axis and among the candidates.
fn normalised_logits(seed: u64, t: usize, r: usize, ties: bool) -> Vec<f32> {
    let z = uniform(seed, t * 2 * r, -4.0, 4.0);
    let mut ell = vec![0.0; t * 2 * r];
    cpu::router_normalise(&z, &vec![0.0; 2 * r], &vec![1.0; 2 * r], &mut ell);
    if ties {
        ell.iter_mut().for_each(|v| *v = (*v * 2.0).round() / 2.0);
    }
    ell
}

/// Every top-k selection that takes (r, k) on this adapter (`normalising`: those that can normalise).
fn topk_kernels(ctx: &Context, r: usize, k: usize, normalising: bool) -> Vec<stages::TopkKernel> {
    use stages::TopkKernel;
    let (r, k) = (r as u32, k as u32);
    let mut kernels = Vec::new();
    if !normalising {
        kernels.push(TopkKernel::Sort);
    }
    if stages::router_topk_by_rank(r, k) {
        kernels.push(TopkKernel::Rank { flat: false });
        if normalising {
            kernels.push(TopkKernel::Rank { flat: true });
        }
    }
    if stages::topk_by_subgroup(&ctx.caps, r, k) {
        kernels.push(TopkKernel::Subgroup);
    }
    kernels
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn router_normalise_matches_cpu(t in 1usize..40, r in 2usize..130, seed: u64) {
        let ctx = gpu();
        let z = uniform(seed, t * 2 * r, -6.0, 6.0);
        let mean = uniform(seed ^ 1, 2 * r, -0.3, 0.3);
        let var = uniform(seed ^ 2, 2 * r, 0.5, 2.0);
        let mut want = vec![0.0; t * 2 * r];
        cpu::router_normalise(&z, &mean, &var, &mut want);
        let (zb, mb, vb) = (f32_buf(ctx, &z), f32_buf(ctx, &mean), f32_buf(ctx, &var));
        let ell = buffers::storage(ctx, "ell", (t * 2 * r * 4) as u64);
        let mut rec = Recorder::new(ctx);
        stages::router_normalise(&mut rec, (t as u32, r as u32), Bind::all(&zb), Bind::all(&mb), Bind::all(&vb), Bind::all(&ell));
        submit(ctx, rec);
        check("ell", &read_f32(ctx, &ell, t * 2 * r), &want, |i| 2e-5 + 2e-6 * want[i].abs())?;
    }

    #[test]
    fn router_topk_matches_cpu(t in 1usize..24, r in 2usize..70, k_half in 1usize..=64, full: bool, ties: bool, seed: u64) {
        let ctx = gpu();
        let k = if full && r * r <= 128 { r * r / 2 * 2 } else { (2 * k_half).min(r * r / 2 * 2) };
        let ell = normalised_logits(seed, t, r, ties);
        let (mut scores, mut indices) = (vec![0.0; t * k], vec![0u32; t * k]);
        cpu::router_topk(&ell, r, k, &mut scores, &mut indices);
        let eb = f32_buf(ctx, &ell);
        let (sb, ib) = (buffers::storage(ctx, "s", (t * k * 4) as u64), buffers::storage(ctx, "i", (t * k * 4) as u64));
        for kernel in topk_kernels(ctx, r, k, false) {
            let mut rec = Recorder::new(ctx);
            stages::router_topk_with(&mut rec, kernel, (t as u32, r as u32, k as u32), Bind::all(&eb), Bind::all(&sb), Bind::all(&ib), None);
            submit(ctx, rec);
            let (gs, gi) = (read_f32(ctx, &sb, t * k), read_u32(ctx, &ib, t * k));
            prop_assert_eq!(&gs, &scores, "scores ({:?})", kernel);
            for ti in 0..t {
                let l = &ell[ti * 2 * r..][..2 * r];
                for j in 0..k {
                    let s = scores[ti * k + j];
                    let ties = (0..r * r).filter(|&e| l[e / r] + l[r + e % r] == s).count();
                    if ties == 1 {
                        prop_assert_eq!(gi[ti * k + j], indices[ti * k + j], "token {} slot {} ({:?})", ti, j, kernel);
                    }
                }
            }
        }
    }

    #[test]
    fn router_topk_normalising_matches_cpu(t in 1usize..40, r in 2usize..=128, k_half in 1usize..=24, seed: u64) {
        let ctx = gpu();
        let k = (2 * k_half).min(r * r / 2 * 2);
        prop_assume!(stages::router_topk_by_rank(r as u32, k as u32));
        let z = uniform(seed, t * 2 * r, -6.0, 6.0);
        let mean = uniform(seed ^ 1, 2 * r, -0.3, 0.3);
        let var = uniform(seed ^ 2, 2 * r, 0.5, 2.0);
        let mut ell = vec![0.0; t * 2 * r];
        cpu::router_normalise(&z, &mean, &var, &mut ell);
        let (mut scores, mut indices) = (vec![0.0; t * k], vec![0u32; t * k]);
        cpu::router_topk(&ell, r, k, &mut scores, &mut indices);
        let (zb, mb, vb) = (f32_buf(ctx, &z), f32_buf(ctx, &mean), f32_buf(ctx, &var));
        let (sb, ib) = (buffers::storage(ctx, "s", (t * k * 4) as u64), buffers::storage(ctx, "i", (t * k * 4) as u64));
        for kernel in topk_kernels(ctx, r, k, true) {
        let mut rec = Recorder::new(ctx);
        let normalise = Some((Bind::all(&mb), Bind::all(&vb)));
        stages::router_topk_with(&mut rec, kernel, (t as u32, r as u32, k as u32), Bind::all(&zb), Bind::all(&sb), Bind::all(&ib), normalise);
        submit(ctx, rec);
        let (gs, gi) = (read_f32(ctx, &sb, t * k), read_u32(ctx, &ib, t * k));
        check("scores", &gs, &scores, |i| 4e-5 + 4e-6 * scores[i].abs())?;
        // Indices wherever the CPU's selection has no near tie (gaps well above f32 rounding of ℓ).
        for ti in 0..t {
            let l = &ell[ti * 2 * r..][..2 * r];
            let mut all: Vec<f32> = (0..r * r).map(|e| l[e / r] + l[r + e % r]).collect();
            all.sort_by(|a, b| b.total_cmp(a));
            let clear = (0..k).all(|j| j + 1 >= r * r || all[j] - all[j + 1] > 1e-4)
                && [&l[..r], &l[r..]].iter().all(|axis| {
                    let mut a = axis.to_vec();
                    a.sort_by(|x, y| y.total_cmp(x));
                    (0..r.min(k)).all(|j| j + 1 >= r || a[j] - a[j + 1] > 1e-4)
                });
            if clear {
                prop_assert_eq!(&gi[ti * k..][..k], &indices[ti * k..][..k], "token {} ({:?})", ti, kernel);
            }
        }
        // The same logits as columns of split-K partial products (the fused few-token chain): the router
        // sums them in range order from zero, what gemm_reduce stores, so the results are the same bits.
        let (ranges, rows, first) = (1 + (seed % 4) as usize, t + (seed % 3) as usize, 2 * (seed % 5) as usize);
        let width = first + 2 * r + 2;
        let mut parts = uniform(seed ^ 3, ranges * rows * width, -3.0, 3.0);
        for ti in 0..t {
            for j in 0..2 * r {
                // The last range makes the ordered sum land near z (not exactly: the sum is what counts).
                let col = |z: usize| (z * rows + ti) * width + first + j;
                let before = (0..ranges - 1).fold(0.0f32, |s, zz| s + parts[col(zz)]);
                parts[col(ranges - 1)] = z[ti * 2 * r + j] - before;
            }
        }
        let summed: Vec<f32> = (0..t * 2 * r)
            .map(|o| (0..ranges).fold(0.0f32, |s, zz| s + parts[(zz * rows + o / (2 * r)) * width + first + o % (2 * r)]))
            .collect();
        let (pb, zsb) = (f32_buf(ctx, &parts), f32_buf(ctx, &summed));
        let (sb2, ib2) = (buffers::storage(ctx, "s2", (t * k * 4) as u64), buffers::storage(ctx, "i2", (t * k * 4) as u64));
        let mut rec = Recorder::new(ctx);
        let normalise = Some((Bind::all(&mb), Bind::all(&vb)));
        let dims = (t as u32, r as u32, k as u32);
        stages::router_topk_with(&mut rec, kernel, dims, Bind::all(&zsb), Bind::all(&sb), Bind::all(&ib), normalise);
        let partials = stages::Partials { buf: Bind::all(&pb), ranges: ranges as u32, rows: rows as u32, permuted: false };
        let logits = stages::Logits::Partials { partials, width: width as u32, first: first as u32 };
        stages::router_topk_with(&mut rec, kernel, dims, logits, Bind::all(&sb2), Bind::all(&ib2), normalise);
        submit(ctx, rec);
        prop_assert_eq!(bits(&read_f32(ctx, &sb2, t * k)), bits(&read_f32(ctx, &sb, t * k)), "PARTIAL scores ({:?})", kernel);
        prop_assert_eq!(read_u32(ctx, &ib2, t * k), read_u32(ctx, &ib, t * k), "PARTIAL indices ({:?})", kernel);
        }
    }
}

/// Scores and indices of a top-k.
type TopK = (Vec<f32>, Vec<u32>);

/// `kernel`'s top-k and the CPU's on `t` tokens of normalised random logits (`seed`; on a coarse grid,
/// many equal values, with `ties`): ((GPU scores, indices), (CPU scores, indices)).
fn topk_and_cpu(
    ctx: &Context,
    kernel: stages::TopkKernel,
    (t, r, k): (usize, usize, usize),
    seed: u64,
    ties: bool,
) -> (TopK, TopK) {
    let ell = normalised_logits(seed, t, r, ties);
    let (mut scores, mut indices) = (vec![0.0; t * k], vec![0u32; t * k]);
    cpu::router_topk(&ell, r, k, &mut scores, &mut indices);
    let eb = f32_buf(ctx, &ell);
    let (sb, ib) = (
        buffers::storage(ctx, "s", (t * k * 4) as u64),
        buffers::storage(ctx, "i", (t * k * 4) as u64),
    );
    let mut rec = Recorder::new(ctx);
    let dims = (t as u32, r as u32, k as u32);
    let (e, s, i) = (Bind::all(&eb), Bind::all(&sb), Bind::all(&ib));
    stages::router_topk_with(&mut rec, kernel, dims, e, s, i, None);
    submit(ctx, rec);
    let gpu = (read_f32(ctx, &sb, t * k), read_u32(ctx, &ib, t * k));
    (gpu, (scores, indices))
}

/// The subgroup top-k on this adapter (one fixed subgroup size, as lavapipe's 8 and NVIDIA's 32) at a
/// size it covers, on many tokens with and without ties, against the CPU.
#[test]
fn router_topk_by_subgroup_matches_cpu() {
    let ctx = gpu();
    let (lo, hi) = ctx.caps.subgroup_sizes;
    assert!(
        ctx.caps.subgroup && lo == hi,
        "the test adapter should have subgroups of one size"
    );
    let (t, r, k) = (300usize, lo.min(64) as usize, 4usize);
    assert!(stages::topk_by_subgroup(&ctx.caps, r as u32, k as u32));
    for ties in [false, true] {
        let kernel = stages::TopkKernel::Subgroup;
        let (gpu, cpu) = topk_and_cpu(ctx, kernel, (t, r, k), ties as u64, ties);
        assert_eq!(gpu.0, cpu.0, "ties: {ties}");
        if !ties {
            assert_eq!(gpu.1, cpu.1);
        }
    }
}

/// The sorting top-k at the largest grids (R up to 2048: the AXIS2048 variant above 1024), with ties,
/// against the CPU.
#[test]
fn router_topk_sorts_up_to_2048_per_axis() {
    let ctx = gpu();
    for (r, k, ties) in [
        (1024usize, 16usize, false),
        (1025, 8, true),
        (2048, 128, false),
        (1500, 2, true),
    ] {
        let kernel = stages::TopkKernel::Sort;
        let (gpu, cpu) = topk_and_cpu(ctx, kernel, (3, r, k), r as u64, ties);
        assert_eq!(gpu.0, cpu.0, "R = {r}: scores");
        assert_eq!(gpu.1, cpu.1, "R = {r}: indices");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20, ..ProptestConfig::default() })]

    /// The decode chain's router and expert stage in one workgroup (router_experts) gives the bits of the
    /// router by rank (NORMALISE, tree reductions) followed by expert_token, and the CPU twin's scores and
    /// branch; H up to 300, the README's 1024 and around it. With `ties` the logits lie on a grid of
    /// integers and the statistics are the same for every column: many equal values in each axis and
    /// among the candidates (the two kernels split each value's count over different numbers of
    /// invocations, so their ties are counted by different pieces).
    #[test]
    fn router_experts_gives_the_bits_of_the_router_then_expert_token(t in 1usize..10, r in 2usize..=40, k_half in 1usize..=16, h in prop_oneof![1usize..300, (250usize..=256).prop_map(|q| 4 * q), 1020usize..1100], ties: bool, seed: u64) {
        let ctx = gpu();
        let n = r * r;
        let k = (2 * k_half).min(n / 2 * 2);
        prop_assume!(stages::router_topk_by_rank(r as u32, k as u32));
        let mut z = uniform(seed, t * 2 * r, -6.0, 6.0);
        let mut mean = uniform(seed ^ 1, 2 * r, -0.3, 0.3);
        let mut var = uniform(seed ^ 2, 2 * r, 0.5, 2.0);
        if ties {
            z.iter_mut().for_each(|v| *v = (*v / 2.0).round());
            mean.fill(0.25);
            var.fill(1.5);
        }
        let (zb, mb, varb) = (f32_buf(ctx, &z), f32_buf(ctx, &mean), f32_buf(ctx, &var));
        for f16 in f16_modes(ctx) {
            let (x, up, down) = expert_inputs(seed ^ 9, t, h, n, f16);
            let (xb, ub, vb) = (
                buffers::upload(ctx, "x", &elem_bytes(&x, f16)),
                buffers::upload(ctx, "u", &elem_bytes(&up, f16)),
                buffers::upload(ctx, "v", &elem_bytes(&down, f16)),
            );
            let tables = || (stages::Table::one(&ub), stages::Table::one(&vb));
            let bufs = |what| {
                [
                    buffers::storage(ctx, what, (t * k * 4) as u64),
                    buffers::storage(ctx, what, (t * k * 4) as u64),
                    buffers::storage(ctx, what, (t * h * 4) as u64),
                ]
            };
            let ([s1, i1, b1], [s2, i2, b2]) = (bufs("passes"), bufs("one"));
            let all = Bind::all;
            let stats = (all(&mb), all(&varb));
            let (t32, r32, k32, h32) = (t as u32, r as u32, k as u32, h as u32);
            let mut rec = Recorder::new(ctx);
            let rank = stages::TopkKernel::Rank { flat: false };
            stages::router_topk_with(&mut rec, rank, (t32, r32, k32), all(&zb), all(&s1), all(&i1), Some(stats));
            let (u, v) = tables();
            stages::expert_token(&mut rec, f16, (t32, h32, k32), all(&xb), u, all(&s1), all(&i1), v, stages::ExpertOut::Store(all(&b1)));
            stages::router_experts(&mut rec, f16, (t32, r32, k32, h32), all(&zb), stats, all(&xb), tables(), (all(&s2), all(&i2)), all(&b2));
            submit(ctx, rec);
            let (gs, gi, gb) = (read_f32(ctx, &s2, t * k), read_u32(ctx, &i2, t * k), read_f32(ctx, &b2, t * h));
            prop_assert_eq!(bits(&read_f32(ctx, &s1, t * k)), bits(&gs), "scores, f16 {}", f16);
            prop_assert_eq!(read_u32(ctx, &i1, t * k), gi.clone(), "indices, f16 {}", f16);
            prop_assert_eq!(bits(&read_f32(ctx, &b1, t * h)), bits(&gb), "branch, f16 {}", f16);
            // The CPU twin: its scores, and its branch of the experts the GPU chose (near ties in the
            // router may choose others, which the router's own test covers).
            let (mut cs, mut ci, mut cb) = (vec![0.0; t * k], vec![0u32; t * k], vec![0.0; t * h]);
            let cpu_tables = cpu::ExpertTables { up: &up, down: &down, hidden: h };
            cpu::router_experts(&z, &mean, &var, &x, &cpu_tables, &mut cs, &mut ci, &mut cb);
            check("scores", &gs, &cs, |i| 4e-5 + 4e-6 * cs[i].abs())?;
            let mut want = vec![0.0; t * h];
            cpu::expert_token(&x, &up, &down, h, &gs, &gi, &mut want);
            let tol = branch_tolerance((&x, &up, &down), (h, k), (&gs, &gi));
            check("branch", &gb, &want, &tol)?;
            for tt in 0..t {
                if gi[tt * k..][..k] == ci[tt * k..][..k] {
                    check("twin's branch", &gb[tt * h..][..h], &cb[tt * h..][..h], |i| tol(tt * h + i))?;
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The selection by rank's normalising reductions with their levels under a subgroup done by shuffles
    /// (SG_TREE, where the adapter has one subgroup size) give the bits of the tree through workgroup
    /// memory (a context without subgroups): router_topk's scores and indices, and router_experts'.
    #[test]
    fn the_rank_selection_by_subgroup_shuffles_gives_the_tree_bits(t in 1usize..12, r in 2usize..=128, k_half in 1usize..=16, seed: u64) {
        let ctx = gpu();
        prop_assert!(stages::rank_subgroup_tree(&ctx.caps).is_some(), "the test adapter should have one subgroup size");
        let plain = plain_tree_gpu();
        prop_assert!(stages::rank_subgroup_tree(&plain.caps).is_none());
        let n = r * r;
        let k = (2 * k_half).min(n / 2 * 2);
        prop_assume!(stages::router_topk_by_rank(r as u32, k as u32));
        let h = 40;
        let z = uniform(seed, t * 2 * r, -6.0, 6.0);
        let mean = uniform(seed ^ 1, 2 * r, -0.3, 0.3);
        let var = uniform(seed ^ 2, 2 * r, 0.5, 2.0);
        let (x, up, down) = expert_inputs(seed ^ 9, t, h, n, false);
        let run = |ctx: &Context| {
            let (zb, mb, vb) = (f32_buf(ctx, &z), f32_buf(ctx, &mean), f32_buf(ctx, &var));
            let (xb, ub, db) = (f32_buf(ctx, &x), f32_buf(ctx, &up), f32_buf(ctx, &down));
            let out = |len: usize| buffers::storage(ctx, "out", (len * 4) as u64);
            let [s1, i1, s2, i2, b2] = [out(t * k), out(t * k), out(t * k), out(t * k), out(t * h)];
            let all = Bind::all;
            let (dims, stats) = ((t as u32, r as u32, k as u32), (all(&mb), all(&vb)));
            let mut rec = Recorder::new(ctx);
            let rank = stages::TopkKernel::Rank { flat: false };
            stages::router_topk_with(&mut rec, rank, dims, all(&zb), all(&s1), all(&i1), Some(stats));
            let tables = (stages::Table::one(&ub), stages::Table::one(&db));
            let dims = (t as u32, r as u32, k as u32, h as u32);
            stages::router_experts(&mut rec, false, dims, all(&zb), stats, all(&xb), tables, (all(&s2), all(&i2)), all(&b2));
            submit(ctx, rec);
            (
                bits(&read_f32(ctx, &s1, t * k)),
                read_u32(ctx, &i1, t * k),
                bits(&read_f32(ctx, &s2, t * k)),
                read_u32(ctx, &i2, t * k),
                bits(&read_f32(ctx, &b2, t * h)),
            )
        };
        let (a, b) = (run(ctx), run(plain));
        prop_assert_eq!(a.0, b.0, "router_topk scores");
        prop_assert_eq!(a.1, b.1, "router_topk indices");
        prop_assert_eq!(a.2, b.2, "router_experts scores");
        prop_assert_eq!(a.3, b.3, "router_experts indices");
        prop_assert_eq!(a.4, b.4, "router_experts branch");
    }
}

/// A context without subgroups: the selection by rank's tree through workgroup memory.
fn plain_tree_gpu() -> &'static Context {
    static CTX: std::sync::OnceLock<Context> = std::sync::OnceLock::new();
    CTX.get_or_init(|| {
        super::common::gpu_with(&omnimoe::gpu::ContextOptions {
            no_subgroup: true,
            ..Default::default()
        })
    })
}
