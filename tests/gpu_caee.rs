//! Cost-aware expert execution (issue 12) on the GPU: the cost model's calibration.

mod common;

use common::gpu;
use omnimoe::gpu::calibrate::{calibrate_blocking, CalibrateOptions};

fn small() -> CalibrateOptions {
    CalibrateOptions {
        hidden: 64,
        experts: 32,
        top_k: 16,
        tokens_per_expert: vec![1, 2, 4, 8, 16],
        upload_batches: vec![1, 2, 4, 8, 16],
        reps: 2,
    }
}

/// Every stage is calibrated in every storage type the adapter has: measured times are positive and
/// finite at every size, each fit passes through its measurements' range and reports a finite error on
/// the sizes it was not fitted on, and predictions come back for what was calibrated only.
#[test]
fn calibration_fits_every_stage_and_dtype() {
    let ctx = gpu();
    let options = small();
    let model = calibrate_blocking(ctx, &options).unwrap();
    assert_eq!(model.adapter, ctx.info.name);
    assert_eq!(model.hidden, 64);
    let dtypes: Vec<bool> = if ctx.caps.shader_f16 {
        vec![false, true]
    } else {
        vec![false]
    };
    let mut want: Vec<(String, bool)> = dtypes
        .iter()
        .flat_map(|&f16| {
            ["expert_scores", "expert_combine", "upload"].map(|s| (s.to_string(), f16))
        })
        .collect();
    let mut got: Vec<(String, bool)> = model
        .stages
        .iter()
        .map(|s| (s.stage.clone(), s.f16))
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    for s in &model.stages {
        let sizes: Vec<f64> = s.points.iter().map(|p| p.0).collect();
        let expected: Vec<u32> = if s.stage == "upload" {
            options.upload_batches.clone()
        } else {
            options.tokens_per_expert.clone()
        };
        assert_eq!(
            sizes,
            expected.iter().map(|&x| x as f64).collect::<Vec<_>>()
        );
        assert!(
            s.points.iter().all(|p| p.1.is_finite() && p.1 > 0.0),
            "{} {:?}",
            s.stage,
            s.points
        );
        assert!(s.held_out_mape.is_finite() && s.held_out_mape >= 0.0);
        assert!(s.model.slope >= 0.0);
        // A least-squares fit lies within the range of what it was fitted on, at every measured size.
        let lo = s.points.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        let hi = s.points.iter().map(|p| p.1).fold(0.0, f64::max);
        for &(x, _) in &s.points {
            let y = model.predict(&s.stage, s.f16, x).unwrap();
            assert!(y > 0.0 && y <= 2.0 * hi + lo, "{} at {x}: {y}", s.stage);
        }
    }
    assert_eq!(model.predict("expert_token", false, 4.0), None);
}

/// Options that cannot be measured are refused with the field named, before any GPU work.
#[test]
fn bad_calibration_options_name_the_field() {
    let ctx = gpu();
    type Change = fn(&mut CalibrateOptions);
    let cases: [(&str, Change); 4] = [
        ("experts", |o| o.experts = 33),
        ("experts", |o| o.experts = 0),
        ("tokens_per_expert", |o| o.tokens_per_expert = vec![1, 2]),
        ("upload_batches", |o| o.upload_batches = vec![0, 1, 2, 3]),
    ];
    for (field, change) in cases {
        let mut options = small();
        change(&mut options);
        match calibrate_blocking(ctx, &options) {
            Err(omnimoe::Error::Config { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}
