//! The whole layer on the GPU against the golden files and the CPU reference.

mod common;

use common::{assert_close, assert_same_sets, golden_cases, gpu};
use omnimoe::gpu::{ExpertSchedule, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::io::TensorFile;
use omnimoe::{LoadOptions, OmniMoeWeights};

fn options(schedule: ExpertSchedule) -> LayerOptions {
    LayerOptions {
        precision: Precision::F32,
        schedule,
        max_chunk_tokens: None,
    }
}

#[test]
fn every_golden_file_matches_through_the_gpu_in_f32() {
    let ctx = gpu();
    for (name, bytes) in golden_cases() {
        let file = TensorFile::parse(&bytes).unwrap();
        let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
        let (h, k) = (w.config.hidden_size, w.config.num_experts_per_token);
        let (_, x) = file.tokens("input", h).unwrap();
        for schedule in [ExpertSchedule::ExpertCentric, ExpertSchedule::TokenCentric] {
            let layer = OmniMoeLayer::new(ctx, &w, &options(schedule)).unwrap();
            let out = layer.forward_host_blocking(&x).unwrap();
            let what = format!("{name} {schedule:?}");
            assert_close(
                &format!("{what}: output"),
                &out.output,
                &file.f32("output").unwrap().1,
                1e-5,
                1e-4,
            );
            assert_close(
                &format!("{what}: scores"),
                &out.scores,
                &file.f32("router.scores").unwrap().1,
                1e-5,
                1e-4,
            );
            assert_same_sets(
                &format!("{what}: indices"),
                &out.indices,
                &file.int("router.indices").unwrap().1,
                k,
            );
        }
    }
}
