//! The feature matrix: the golden files through the GPU with SHADER_F16, SUBGROUP and cooperative matrices
//! each left off the device (`ContextOptions`), the paths that Metal, DX12, older GPUs and browsers take,
//! on whatever adapter runs the tests (lavapipe in `cargo xtask test`).

mod common;

use common::checks::{f16_stays_within_its_documented_bound, golden_files_match_in_f32};
use common::{golden_case, gpu_with};
use omnimoe::gpu::{ContextOptions, LayerOptions, OmniMoeLayer, Precision};
use omnimoe::io::TensorFile;
use omnimoe::{Error, LoadOptions, OmniMoeWeights};

#[test]
fn without_shader_f16_f32_matches_and_f16_is_refused() {
    let ctx = gpu_with(&ContextOptions {
        no_shader_f16: true,
        ..Default::default()
    });
    assert!(!ctx.caps.shader_f16 && !ctx.caps.cooperative_matrix);
    assert!(!ctx.device.features().contains(wgpu::Features::SHADER_F16));
    golden_files_match_in_f32(&ctx);
    let bytes = golden_case("tiny");
    let file = TensorFile::parse(&bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let f16 = LayerOptions {
        precision: Precision::F16,
        ..Default::default()
    };
    match OmniMoeLayer::new(&ctx, &w, &f16) {
        Err(Error::Config { field, .. }) => assert_eq!(field, "precision"),
        Err(e) => panic!("f16 without SHADER_F16: {e}"),
        Ok(_) => panic!("f16 without SHADER_F16 was accepted"),
    }
}

#[test]
fn without_subgroups_f32_and_f16_match() {
    let ctx = gpu_with(&ContextOptions {
        no_subgroup: true,
        ..Default::default()
    });
    assert!(!ctx.caps.subgroup && !ctx.caps.cooperative_matrix);
    assert!(!ctx.device.features().contains(wgpu::Features::SUBGROUP));
    golden_files_match_in_f32(&ctx);
    assert!(
        ctx.caps.shader_f16,
        "the test adapter should offer SHADER_F16"
    );
    f16_stays_within_its_documented_bound(&ctx);
}

#[test]
fn without_cooperative_matrices_f32_and_f16_match() {
    let ctx = gpu_with(&ContextOptions {
        no_cooperative_matrix: true,
        ..Default::default()
    });
    assert!(!ctx.caps.cooperative_matrix);
    assert!(!ctx
        .device
        .features()
        .contains(wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX));
    golden_files_match_in_f32(&ctx);
    assert!(
        ctx.caps.shader_f16,
        "the test adapter should offer SHADER_F16"
    );
    f16_stays_within_its_documented_bound(&ctx);
}
