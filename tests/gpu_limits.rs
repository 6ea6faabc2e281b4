//! Lowered planning limits (`ContextOptions::max_binding_bytes`): expert tables split over several
//! bindings and small token chunks, against the CPU reference, on the test adapter.

mod common;

use common::bits;
use common::checks::{compare_with_cpu, round, rounded, F16_ABS, F16_REL};
use omnimoe::gpu::{
    Context, ContextOptions, ExpertSchedule, LayerOptions, OmniMoeLayer, Precision,
};
use omnimoe::rng::SplitMix64;
use omnimoe::{Error, OmniMoeConfig, OmniMoeWeights};

fn context(max_binding_bytes: u64) -> Context {
    common::gpu_with(&ContextOptions {
        max_binding_bytes: Some(max_binding_bytes),
        ..Default::default()
    })
}

/// N = 4096 experts of H = 32 (512 KiB per f32 table) under 64 KiB bindings: 8 parts in f32, 4 in f16;
/// 300 tokens in chunks of 128.
#[test]
fn expert_tables_split_over_bindings_match_the_cpu() {
    let ctx = context(64 << 10);
    assert_eq!(ctx.limits.max_storage_buffer_binding_size, 64 << 10);
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 4096, 8).unwrap(), 9).unwrap();
    let x = SplitMix64::new(4).normals(300 * 32);
    let mut precisions = vec![(Precision::F32, 8)];
    if ctx.caps.shader_f16 {
        precisions.push((Precision::F16, 4));
    }
    for (precision, parts) in precisions {
        for schedule in [ExpertSchedule::TokenCentric, ExpertSchedule::ExpertCentric] {
            let options = LayerOptions {
                precision,
                schedule,
                ..Default::default()
            };
            let layer = OmniMoeLayer::new(&ctx, &w, &options).unwrap();
            assert_eq!(layer.expert_table_parts(), parts, "{precision:?}");
            assert!(layer.chunk_tokens_in_use() < 300);
            // f16: against the CPU on the same f16-rounded weights and input, within the f16 bound.
            let f16 = precision == Precision::F16;
            let (wr, xr) = if f16 {
                (rounded(&w), round(&x))
            } else {
                (w.clone(), x.clone())
            };
            let (abs, rel) = if f16 {
                (F16_ABS, F16_REL)
            } else {
                (1e-4, 1e-4)
            };
            for t in [1usize, 37, 300] {
                let out = layer.forward_host_blocking(&x[..t * 32]).unwrap();
                let what = format!("{precision:?} {schedule:?} T = {t}");
                let compared = compare_with_cpu(&what, &wr, &xr[..t * 32], &out, abs, rel, 1e-4);
                assert!(
                    compared * 10 >= t * 8,
                    "{what}: only {compared} tokens comparable"
                );
            }
        }
    }
}

/// A split layer gives the same bits as the unsplit one (the same sums in the same order).
#[test]
fn a_split_table_gives_the_bits_of_one_binding() {
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 4096, 8).unwrap(), 10).unwrap();
    let x = SplitMix64::new(5).normals(70 * 32);
    let run = |ctx: &Context| {
        let layer = OmniMoeLayer::new(ctx, &w, &LayerOptions::default()).unwrap();
        (
            layer.expert_table_parts(),
            layer.forward_host_blocking(&x).unwrap(),
        )
    };
    let (split_ctx, whole_ctx) = (context(64 << 10), context(1 << 30));
    let (parts, split) = run(&split_ctx);
    let (one, whole) = run(&whole_ctx);
    assert_eq!((parts, one), (8, 1));
    assert_eq!(split.indices, whole.indices);
    assert_eq!(bits(&split.scores), bits(&whole.scores));
    assert_eq!(bits(&split.output), bits(&whole.output));
}

/// Under 64 KiB bindings every golden file matches (both schedules, f32): dense weights run as one GEMM
/// per block of rows, `medium`'s 1 MiB tables lie in 16 bindings, chunks shrink to 32 tokens; and the
/// f16 bound holds there too.
#[test]
fn golden_files_match_with_64_kib_bindings() {
    let ctx = context(64 << 10);
    common::checks::golden_files_match_in_f32(&ctx);
    let bytes = common::golden_case("medium");
    let file = omnimoe::io::TensorFile::parse(&bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &omnimoe::LoadOptions::default()).unwrap();
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    // gate/up/router: (2·512 + 2·32) rows of 1 KiB in blocks of 64; down: 256 rows of 2 KiB in 32s.
    assert_eq!(layer.dense_weight_blocks(), (17, 8));
    assert_eq!(layer.expert_table_parts(), 16);
    assert_eq!(layer.chunk_tokens_in_use(), 32);
    if ctx.caps.shader_f16 {
        common::checks::f16_stays_within_its_documented_bound(&ctx);
    }
}

/// Tables needing more than 16 bindings, or weights a binding cannot hold, are refused by name.
#[test]
fn what_no_split_can_hold_is_refused_by_name() {
    let ctx = context(16 << 10);
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 4096, 8).unwrap(), 9).unwrap();
    match OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()) {
        Err(Error::Limit { what, .. }) => assert!(what.contains("up_embed"), "{what}"),
        other => panic!("512 KiB tables in 16 KiB bindings: {:?}", other.err()),
    }
    // H = 2560 f32: a gate/up pair of rows is 20 KiB.
    let wide = OmniMoeWeights::random(OmniMoeConfig::new(2560, 8, 4, 2).unwrap(), 9).unwrap();
    match OmniMoeLayer::new(&ctx, &wide, &LayerOptions::default()) {
        Err(Error::Limit {
            what,
            needed,
            allowed,
        }) => {
            assert!(what.contains("gate_proj"), "{what}");
            assert_eq!((needed, allowed), (20 << 10, 16 << 10));
        }
        other => panic!(
            "a gate/up pair of 20 KiB in 16 KiB bindings: {:?}",
            other.err()
        ),
    }
}

/// `max_device_bytes` sizes the token chunk from the planned footprint, and refuses a layer whose
/// weights and smallest chunk do not fit, naming both sizes.
#[test]
fn max_device_bytes_sizes_the_chunk_or_refuses_with_both_sizes() {
    let ctx = context(1 << 30);
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 4096, 8).unwrap(), 11).unwrap();
    let plan = OmniMoeLayer::plan(&ctx, &w.config, &LayerOptions::default()).unwrap();
    let c = w.config;
    let (h, i, n, r) = (32u64, 48u64, 4096u64, c.grid() as u64);
    assert_eq!(
        plan.weights,
        ((2 * i + 2 * r) * h + h * i + 2 * n * h) * 4 + 4 * r * 4
    );
    let budget = plan.weights + plan.scratch_fixed + 256 * plan.scratch_per_token + 100;
    let options = LayerOptions {
        max_device_bytes: Some(budget),
        ..Default::default()
    };
    let layer = OmniMoeLayer::new(&ctx, &w, &options).unwrap();
    assert_eq!(layer.chunk_tokens_in_use(), 256);
    assert_eq!(layer.footprint().chunk_tokens, 256);
    assert!(layer.footprint().layer_bytes() <= budget);
    let x = SplitMix64::new(6).normals(600 * 32);
    let out = layer.forward_host_blocking(&x).unwrap();
    assert!(compare_with_cpu("chunked by memory", &w, &x, &out, 1e-4, 1e-4, 1e-4) >= 550);
    let tight = LayerOptions {
        max_device_bytes: Some(plan.weights),
        ..Default::default()
    };
    match OmniMoeLayer::new(&ctx, &w, &tight) {
        Err(Error::Limit {
            what,
            needed,
            allowed,
        }) => {
            assert!(
                what.contains(&format!("weights {} B", plan.weights)),
                "{what}"
            );
            assert!(needed > allowed && allowed == plan.weights);
        }
        other => panic!("a budget of the weights alone: {:?}", other.err()),
    }
}

/// At most 16 workgroups per dimension: every per-token and per-expert launch folds into y, chunks are
/// 2048 tokens; the golden files still match.
#[test]
fn folded_launches_match_the_golden_files() {
    let ctx = common::gpu_with(&ContextOptions {
        max_workgroups_per_dimension: Some(16),
        ..Default::default()
    });
    assert_eq!(ctx.limits.max_compute_workgroups_per_dimension, 16);
    common::checks::golden_files_match_in_f32(&ctx);
    // 300 tokens fold as 16 × 19.
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 300, 6).unwrap(), 12).unwrap();
    let x = SplitMix64::new(7).normals(300 * 32);
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    let out = layer.forward_host_blocking(&x).unwrap();
    assert!(compare_with_cpu("folded", &w, &x, &out, 1e-4, 1e-4, 1e-4) >= 280);
}

/// `max_buffer_bytes` plans like a smaller binding: expert tables split, prepared outputs bounded.
#[test]
fn max_buffer_bytes_splits_tables_and_bounds_prepared_outputs() {
    let ctx = common::gpu_with(&ContextOptions {
        max_buffer_bytes: Some(64 << 10),
        ..Default::default()
    });
    assert_eq!(ctx.limits.max_buffer_size, 64 << 10);
    let w = OmniMoeWeights::random(OmniMoeConfig::new(32, 48, 4096, 8).unwrap(), 13).unwrap();
    let layer = OmniMoeLayer::new(&ctx, &w, &LayerOptions::default()).unwrap();
    assert_eq!(layer.expert_table_parts(), 8);
    let x = SplitMix64::new(8).normals(200 * 32);
    let out = layer.forward_host_blocking(&x).unwrap();
    assert!(compare_with_cpu("buffers of 64 KiB", &w, &x, &out, 1e-4, 1e-4, 1e-4) >= 180);
    // A prepared output of 1024 tokens × 32 × 4 B = 128 KiB exceeds it.
    match layer.prepare(1024) {
        Err(Error::Limit {
            needed, allowed, ..
        }) => assert_eq!((needed, allowed), (128 << 10, 64 << 10)),
        other => panic!(
            "a 128 KiB prepared output under 64 KiB buffers: {:?}",
            other.err()
        ),
    }
}
