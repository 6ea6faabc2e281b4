//! The whole layer on the GPU against the golden files and the CPU reference.

mod common;

use common::checks::{
    compare_with_cpu, f16_stays_within_its_documented_bound, golden_files_match_in_f32, round,
    rounded, F16_ABS, F16_REL,
};
use common::{assert_close, bits, golden_case, gpu};
use omnimoe::gpu::stages::{CoopConfig, CoopTile, GemmKernel, GEMV_ROWS, SKINNY_FROM_M};
use omnimoe::gpu::{ExpertSchedule, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::io::TensorFile;
use omnimoe::{LoadOptions, OmniMoeWeights};

fn options(schedule: ExpertSchedule) -> LayerOptions {
    LayerOptions {
        precision: Precision::F32,
        schedule,
        ..Default::default()
    }
}

#[test]
fn every_golden_file_matches_through_the_gpu_in_f32() {
    golden_files_match_in_f32(gpu());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// The layer on random configs (non-square N, K = R², T = 1, chunked) against the CPU reference.
    #[test]
    fn random_layers_match_the_cpu(
        t in 1usize..300,
        h in 1usize..72,
        i in 1usize..72,
        n in 4usize..700,
        k_half in 1usize..=12,
        full: bool,
        chunked: bool,
        seed: u64,
    ) {
        random_layer_matches_the_cpu(t, h, i, n, k_half, full, chunked, seed);
    }
}

/// One case of `random_layers_match_the_cpu`, both schedules.
#[allow(clippy::too_many_arguments)]
fn random_layer_matches_the_cpu(
    t: usize,
    h: usize,
    i: usize,
    n: usize,
    k_half: usize,
    full: bool,
    chunked: bool,
    seed: u64,
) {
    let r = omnimoe::config::isqrt(n);
    let k = if full && (r * r).is_multiple_of(2) && r * r <= 128 {
        r * r
    } else {
        (2 * k_half).min(r * r / 2 * 2)
    };
    let config = omnimoe::OmniMoeConfig::new(h, i, n, k).unwrap();
    let w = OmniMoeWeights::random(config, seed).unwrap();
    let x = omnimoe::rng::SplitMix64::new(seed ^ 7).normals(t * h);
    for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
        let opts = LayerOptions {
            max_chunk_tokens: chunked.then_some(128),
            ..options(schedule)
        };
        let layer = OmniMoeLayer::new(gpu(), &w, &opts).unwrap();
        let out = layer.forward_host_blocking(&x).unwrap();
        let what = format!(
            "T={t} {config:?} {schedule:?} chunk {}",
            layer.chunk_tokens_in_use()
        );
        let compared = compare_with_cpu(&what, &w, &x, &out, 1e-4, 1e-4, 1e-4);
        // Near-ties are rare with realistic H, common with H of 1 or 2: allow one token and a quarter.
        assert!(
            compared + 1 + t / 4 >= t,
            "{what}: only {compared} of {t} tokens comparable"
        );
    }
}

/// Enough tokens for the router to select by subgroup (from 1024 tokens, R ≤ 2S: on lavapipe's S = 8,
/// R = 16 and K = 4), unchunked; and the same in chunks of 128 tokens, which select by rank.
#[test]
fn many_tokens_select_by_subgroup_and_match_the_cpu() {
    let (lo, _) = gpu().caps.subgroup_sizes;
    assert!(
        omnimoe::gpu::stages::topk_by_subgroup(&gpu().caps, 16, 4),
        "subgroup size {lo}"
    );
    random_layer_matches_the_cpu(1100, 24, 40, 256, 2, false, false, 11);
    random_layer_matches_the_cpu(1100, 24, 40, 256, 2, false, true, 12);
}

/// A case with H = 1 where one token of five has a near-tie (found on an H100).
#[test]
fn a_near_tie_with_one_hidden_unit() {
    random_layer_matches_the_cpu(5, 1, 45, 256, 6, false, false, 670969586265489032);
}

#[test]
fn two_forwards_are_bitwise_identical_and_schedules_agree() {
    let bytes = golden_case("medium");
    let file = TensorFile::parse(&bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    let mut results = Vec::new();
    for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
        let layer = OmniMoeLayer::new(gpu(), &w, &options(schedule)).unwrap();
        let a = layer.forward_host_blocking(&x).unwrap();
        let b = layer.forward_host_blocking(&x).unwrap();
        assert_eq!(bits(&a.output), bits(&b.output), "{schedule:?}: output");
        assert_eq!(bits(&a.scores), bits(&b.scores), "{schedule:?}: scores");
        assert_eq!(a.indices, b.indices, "{schedule:?}: indices");
        results.push(a);
    }
    assert_eq!(
        results[0], results[1],
        "expert-centric and token-centric results differ"
    );
}

/// Few tokens in f16 at shapes the skinny tensor-core kernel takes (H and 2I + 2R multiples of 128): where
/// the adapter has cooperative matrices, from [`SKINNY_FROM_M`] to 16 tokens the layer runs the fused
/// chain (the gate/up GEMM's partial products read by the router and by the down projection's staging,
/// the down projection's by the expert stage), which must give what the CPU reference does, twice the
/// same bits; below, the GEMV.
#[test]
fn few_token_f16_chain_matches_the_cpu() {
    let compared = f16_chain_matches_the_cpu((128, 256), 11, &[2, 4, 6, 16, 31, 64], fused);
    assert!(compared >= 105, "only {compared} of 123 tokens comparable");
}

/// A layer whose H is no multiple of 128 (H = 160: the down projection's N % 128 == 32, the gate/up GEMM's
/// K % 64 == 32) in f16: where the adapter has cooperative matrices the skinny kernel takes the down
/// projection (a last workgroup of one subgroup), so the fused chain runs from [`SKINNY_FROM_M`] to 16
/// tokens; each must give what the CPU reference does, twice the same bits.
#[test]
fn odd_width_f16_chain_matches_the_cpu() {
    let compared = f16_chain_matches_the_cpu((160, 256), 17, &[2, 5, 7, 16, 31], fused);
    assert!(compared >= 52, "only {compared} of 61 tokens comparable");
}

/// A wide layer (H = 1024, I = 8192, the gate/up GEMM in 2 K ranges) in f16: where the adapter has
/// cooperative matrices the fused chain runs at 12 tokens, where its down projection re-reads 12 MiB of
/// the gate/up GEMM's partial products, and not at 16 (16 MiB: a reduction pass and f16 rows instead) nor
/// at 2 (the GEMV, its down projection in two K ranges); each must give what the CPU reference does,
/// twice the same bits.
#[test]
fn wide_f16_layer_leaves_the_fused_chain_from_16_mib() {
    let compared =
        f16_chain_matches_the_cpu((1024, 8192), 13, &[2, 12, 16], |t| fused(t) && t < 16);
    assert!(compared >= 20, "only {compared} of 30 tokens comparable");
}

/// The widest layer here (H = 1024, I = 16384: 32896 gate/up columns) in f16 at 7 and 8 tokens: the GEMV
/// (every layer's to its 8-row build, [`SKINNY_FROM_M`]), its down projection (2048 chunks deep) in four
/// K ranges of four columns a group (`gpu_gemm`'s `narrow_gemvs_split_over_k_match_cpu`)
/// added by the expert stage, its gate/up GEMV on four columns a group (`gpu_gemm`'s
/// `gemv_quads_match_cpu_and_keep_the_bits`); each must give what the CPU reference does, twice the same
/// bits.
#[test]
fn widest_f16_layer_keeps_the_gemv_to_8_tokens() {
    let (h, i) = (1024, 16384);
    assert!(SKINNY_FROM_M == GEMV_ROWS + 1 && !fused(8) && fused(9));
    let compared = f16_chain_matches_the_cpu((h, i), 19, &[7, 8], |_| false);
    assert!(compared >= 12, "only {compared} of 15 tokens comparable");
}

/// The widest layer at 9 and 16 tokens, where the skinny kernel runs the gate/up GEMM on six subgroups a
/// workgroup and the down projection (32 K ranges, 4 column workgroups) on eight: the fused chain at
/// 9 tokens (its down projection's eight subgroups stage the SwiGLU of the gate/up GEMM's partial
/// products, 9 MiB re-read), not at 16 (16 MiB: a reduction pass first); each must give what the CPU
/// reference does, twice the same bits.
#[test]
fn widest_f16_layer_runs_six_and_eight_subgroups_from_9_tokens() {
    let compared = f16_chain_matches_the_cpu((1024, 16384), 23, &[9, 16], |t| fused(t) && t < 16);
    assert!(compared >= 17, "only {compared} of 25 tokens comparable");
}

/// A wide layer (H = 1024, I = 12288: 24704 gate/up columns, 386 tiles of 64) at 17, 32 and 64 tokens,
/// where its gate/up GEMM runs its 64-column tiles at K step 64, two an SM, where the adapter has
/// cooperative matrices (32 × 64 up to 32 rows, 64 × 64 with their staging in turns up to 64; two K
/// steps' loads in flight, 16 steps). Its down projection runs at 17 and 32 tokens on the 32 × 64 tiles
/// with their staging in turns at K step 64, two an SM too, in 16 ranges of 12 steps (two in flight),
/// and at 64 tokens on the 64 × 64 tiles with their staging in turns at K step 128; each must give
/// what the CPU reference does, twice the same bits.
#[test]
fn wide_f16_layer_runs_two_tiles_an_sm_from_17_to_64_tokens() {
    let compared = f16_layer_matches_the_cpu((1024, 12288), 29, &[17, 32, 64], |layer, t| {
        let [gate_up, down] = layer.gemm_plans(t);
        let tile = |kernel, tile, k_step| {
            let config = |c: CoopConfig| c.tile == tile && c.k_step == k_step;
            matches!(kernel, GemmKernel::Coop(c) if config(c))
        };
        let coop = layer.context().caps.cooperative_matrix;
        let (gate_up_tile, down_tile, down_step) = if t <= 32 {
            (CoopTile::Eighth8, CoopTile::Eighth8Turns, 64)
        } else {
            (CoopTile::Quarter8Turns, CoopTile::Quarter8Turns, 128)
        };
        assert_eq!(
            tile(gate_up.kernel, gate_up_tile, 64),
            coop,
            "T = {t}: {gate_up:?}"
        );
        assert_eq!(
            tile(down.kernel, down_tile, down_step),
            coop,
            "T = {t}: {down:?}"
        );
        assert_eq!(gate_up.splits, 1, "T = {t}: {gate_up:?}");
        if coop && t <= 32 {
            assert_eq!(down.splits, 16, "T = {t}: {down:?}");
        }
        format!("gate/up on {:?}", gate_up.kernel)
    });
    assert!(compared >= 90, "only {compared} of 113 tokens comparable");
}

/// A layer of H = 4096 (I = 1024) at 64 and 128 tokens, where its down projection makes 64 tiles (64 ×
/// 64 tiles with their staging in turns at 64 rows, 64 × 128 at 128): half of the ~128 workgroups
/// split-K aims for, so where the adapter has cooperative matrices it runs in 2 K ranges, whose partial
/// products the expert stage adds; each must give what the CPU reference does, twice the same bits.
#[test]
fn wide_hidden_layer_splits_a_down_projection_of_64_tiles_in_two() {
    let compared = f16_layer_matches_the_cpu((4096, 1024), 31, &[64, 128], |layer, t| {
        let [_, down] = layer.gemm_plans(t);
        let (tile, k_step) = if t <= 64 {
            (CoopTile::Quarter8Turns, 128)
        } else {
            (CoopTile::Half8, 64)
        };
        if layer.context().caps.cooperative_matrix {
            let planned =
                matches!(down.kernel, GemmKernel::Coop(c) if c.tile == tile && c.k_step == k_step);
            assert!(planned, "T = {t}: {down:?}");
            assert_eq!(down.splits, 2, "T = {t}: {down:?}");
        }
        format!("down on {:?} in {} ranges", down.kernel, down.splits)
    });
    assert!(compared >= 150, "only {compared} of 192 tokens comparable");
}

/// Whether a layer runs the fused chain at `t` tokens where the adapter has cooperative matrices (and the
/// shape allows it): from [`SKINNY_FROM_M`] (below, the GEMV) to 16.
fn fused(t: usize) -> bool {
    (SKINNY_FROM_M as usize..=16).contains(&t)
}

/// An f16 layer of (H, I) with N = 4096, K = 16 (weights from `seed`) at each of `tokens`: it runs the
/// fused chain where `fused` says and the adapter has cooperative matrices, gives the same bits twice and
/// what the CPU reference does on f16-rounded weights and input. Returns the tokens compared.
fn f16_chain_matches_the_cpu(
    (h, i): (usize, usize),
    seed: u64,
    tokens: &[usize],
    fused: impl Fn(usize) -> bool,
) -> usize {
    f16_layer_matches_the_cpu((h, i), seed, tokens, |layer, t| {
        let fused = fused(t) && layer.context().caps.cooperative_matrix;
        assert_eq!(layer.fused_chain(t), fused, "H = {h}, I = {i}, T = {t}");
        format!("fused chain: {fused}")
    })
}

/// An f16 layer of (H, I) with N = 4096, K = 16 (weights from `seed`) at each of `tokens`: `plan` checks
/// what the layer runs at `t` tokens and says it; the layer gives the same bits twice and what the CPU
/// reference does on f16-rounded weights and input. Returns the tokens compared.
fn f16_layer_matches_the_cpu(
    (h, i): (usize, usize),
    seed: u64,
    tokens: &[usize],
    plan: impl Fn(&OmniMoeLayer, usize) -> String,
) -> usize {
    let ctx = gpu();
    let config = omnimoe::OmniMoeConfig::new(h, i, 4096, 16).unwrap();
    let w = OmniMoeWeights::random(config, seed).unwrap();
    let most = tokens.iter().copied().max().unwrap_or(0);
    let x = omnimoe::rng::SplitMix64::new(seed + 1).normals(most * h);
    let (w16, x16) = (rounded(&w), round(&x));
    let opts = LayerOptions {
        precision: Precision::F16,
        ..options(ExpertSchedule::TokenCentric)
    };
    let layer = OmniMoeLayer::new(ctx, &w, &opts).unwrap();
    let mut compared = 0;
    for &t in tokens {
        let runs = plan(&layer, t);
        let xs = &x16[..t * h];
        let a = layer.forward_host_blocking(xs).unwrap();
        let b = layer.forward_host_blocking(xs).unwrap();
        assert_eq!(bits(&a.output), bits(&b.output), "T = {t}: output");
        assert_eq!(a.indices, b.indices, "T = {t}: indices");
        let what = format!("f16 H = {h}, I = {i}, T = {t} ({runs})");
        compared += compare_with_cpu(&what, &w16, xs, &a, F16_ABS, F16_REL, 1e-4);
    }
    compared
}

#[test]
fn large_n_with_few_tokens() {
    let n = 1 << 20;
    let config = omnimoe::OmniMoeConfig::new(8, 8, n, 16).unwrap();
    let w = OmniMoeWeights::random(config, 5).unwrap();
    let x = omnimoe::rng::SplitMix64::new(6).normals(3 * 8);
    for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
        let layer = OmniMoeLayer::new(gpu(), &w, &options(schedule)).unwrap();
        let out = layer.forward_host_blocking(&x).unwrap();
        let compared = compare_with_cpu(
            &format!("N=2^20 {schedule:?}"),
            &w,
            &x,
            &out,
            1e-4,
            1e-4,
            1e-4,
        );
        assert!(compared >= 2);
    }
}

#[test]
fn f16_storage_stays_within_its_documented_bound() {
    let ctx = gpu();
    assert!(
        ctx.caps.shader_f16,
        "the test adapter should offer SHADER_F16"
    );
    f16_stays_within_its_documented_bound(ctx);
}

#[test]
fn bad_input_and_limits_give_typed_errors() {
    let ctx = gpu();
    let config = omnimoe::OmniMoeConfig::new(16, 32, 64, 4).unwrap();
    let w = OmniMoeWeights::random(config, 1).unwrap();
    let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
    let mut x = vec![0.25f32; 2 * 16];
    x[20] = f32::NAN;
    assert!(matches!(
        layer.forward_host_blocking(&x),
        Err(omnimoe::Error::NonFinite { index: 20, .. })
    ));
    assert!(matches!(
        layer.forward_host_blocking(&x[..15]),
        Err(omnimoe::Error::Shape { .. })
    ));
    assert_eq!(layer.forward_host_blocking(&[]).unwrap().tokens, 0);

    // The router's grid side is at most 2048; the expert-centric counting sort takes at most 2^20.
    let too_many = omnimoe::OmniMoeConfig::new(1, 1, 2049 * 2049, 2).unwrap();
    let w_big = OmniMoeWeights::random(too_many, 1).unwrap();
    assert!(matches!(
        OmniMoeLayer::new(ctx, &w_big, &LayerOptions::default()),
        Err(omnimoe::Error::Limit { what, .. }) if what.starts_with("num_experts")
    ));
    let sorted = omnimoe::OmniMoeConfig::new(1, 1, (1 << 20) + 1, 2).unwrap();
    let w_sorted = OmniMoeWeights::random(sorted, 1).unwrap();
    let expert_centric = options(ExpertSchedule::ExpertCentric);
    assert!(matches!(
        OmniMoeLayer::new(ctx, &w_sorted, &expert_centric),
        Err(omnimoe::Error::Limit { what, .. }) if what.contains("expert-centric")
    ));
    assert!(OmniMoeLayer::new(ctx, &w_sorted, &LayerOptions::default()).is_ok());

    // Finite weights whose products overflow f32: Overflow from the GPU and the CPU reference, not NaN.
    // Every SwiGLU unit 8·SiLU(8) for x = 0.5: the down projection's sum of positive 3e38 products is +inf.
    let mut w_inf = w.clone();
    w_inf.gate_proj.iter_mut().for_each(|v| *v = 1.0);
    w_inf.up_proj.iter_mut().for_each(|v| *v = 1.0);
    w_inf.down_proj.iter_mut().for_each(|v| *v = 3e38);
    let x = vec![0.5f32; 2 * 16];
    let overflow = |r: omnimoe::Result<()>| matches!(r, Err(omnimoe::Error::Overflow { ref name, .. }) if name == "output");
    let layer = OmniMoeLayer::new(ctx, &w_inf, &LayerOptions::default()).unwrap();
    assert!(overflow(layer.forward_host_blocking(&x).map(|_| ())));
    assert!(overflow(omnimoe::cpu::forward(&w_inf, &x).map(|_| ())));
}

/// A device whose storage bindings are limited to 1 MiB: expert tables beyond it are split over several
/// bindings up to 16, beyond that rejected, and long inputs are chunked.
#[test]
fn small_binding_limits_reject_big_weights_and_chunk_tokens() {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&Default::default())).unwrap();
    let mut limits = adapter.limits();
    limits.max_storage_buffer_binding_size = 1 << 20;
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: limits,
        ..Default::default()
    }))
    .unwrap();
    let ctx = omnimoe::gpu::Context::from_device_with_info(device, queue, adapter.get_info());
    let big =
        OmniMoeWeights::random(omnimoe::OmniMoeConfig::new(64, 16, 8192, 8).unwrap(), 1).unwrap();
    let split = OmniMoeLayer::new(&ctx, &big, &LayerOptions::default()).unwrap();
    assert_eq!(split.expert_table_parts(), 2);
    let x = omnimoe::rng::SplitMix64::new(4).normals(40 * 64);
    let out = split.forward_host_blocking(&x).unwrap();
    assert!(compare_with_cpu("split", &big, &x, &out, 1e-4, 1e-4, 1e-4) >= 36);
    let huge =
        OmniMoeWeights::random(omnimoe::OmniMoeConfig::new(64, 16, 131072, 8).unwrap(), 1).unwrap();
    match OmniMoeLayer::new(&ctx, &huge, &LayerOptions::default()) {
        Err(omnimoe::Error::Limit {
            needed, allowed, ..
        }) => assert_eq!((needed, allowed), (32 << 20, 16 << 20)),
        other => panic!("expected a limit error, got {:?}", other.err()),
    }
    // A 2048-wide intermediate row is 8 KiB: 128 tokens per chunk.
    let w =
        OmniMoeWeights::random(omnimoe::OmniMoeConfig::new(32, 2048, 256, 8).unwrap(), 2).unwrap();
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    assert_eq!(layer.chunk_tokens_in_use(), 128);
    let x = omnimoe::rng::SplitMix64::new(3).normals(300 * 32);
    let out = layer.forward_host_blocking(&x).unwrap();
    assert!(compare_with_cpu("chunked", &w, &x, &out, 1e-4, 1e-4, 1e-4) >= 270);
}

#[test]
fn autotune_chooses_among_the_candidates_and_results_still_match() {
    let bytes = golden_case("small");
    let file = TensorFile::parse(&bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    let layer = OmniMoeLayer::new(gpu(), &w, &LayerOptions::default()).unwrap();
    let tuned = layer.autotune_blocking(64).unwrap();
    let c = w.config;
    let shapes: Vec<(u32, u32)> = tuned.iter().map(|t| (t.shape.1, t.shape.2)).collect();
    let (h, i, r) = (
        c.hidden_size as u32,
        c.intermediate_size as u32,
        c.grid() as u32,
    );
    assert_eq!(shapes, vec![(2 * i + 2 * r, h), (h, i)]);
    for t in &tuned {
        assert!(t.candidates.len() >= 2, "{t:?}");
        assert!(
            t.candidates
                .iter()
                .all(|&(_, ms)| ms.is_finite() && ms >= 0.0),
            "{t:?}"
        );
        let fastest = t
            .candidates
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
            .0;
        assert_eq!(t.chosen, fastest, "{t:?}");
    }
    let out = layer.forward_host_blocking(&x).unwrap();
    assert_close(
        "small after autotune",
        &out.output,
        &file.f32("output").unwrap().1,
        1e-5,
        1e-4,
    );
}
