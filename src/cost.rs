//! The cost model of CAEE (cost-aware expert execution, `../shared/docs/caee.md`): for each (adapter,
//! stage, dtype), GPU time against a size — tokens per expert for the expert stages, experts per batch
//! for uploads — as a flat-then-linear fit ([`Knee`]) of measurements. [`crate::gpu::calibrate`] measures
//! and fits; a fit's error is reported as the mean absolute percentage error on sizes it was not fitted
//! on.

/// `y = flat` up to `knee`, then `flat + slope · (x − knee)`: a fixed cost (launch, latency, a minimum
/// transfer) below the knee, a cost per unit above it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Knee {
    /// Where the linear part starts.
    pub knee: f64,
    /// The cost up to the knee.
    pub flat: f64,
    /// The cost per unit beyond it (never negative).
    pub slope: f64,
}

impl Knee {
    /// The predicted cost at `x`.
    pub fn at(&self, x: f64) -> f64 {
        self.flat + self.slope * (x - self.knee).max(0.0)
    }

    /// The least-squares fit of `points` (x, y): every measured x is tried as the knee, the one with the
    /// smallest squared error kept (the lowest x on ties). `None` with fewer than two distinct x or a
    /// non-finite value.
    pub fn fit(points: &[(f64, f64)]) -> Option<Knee> {
        if points.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
            return None;
        }
        let mut xs: Vec<f64> = points.iter().map(|p| p.0).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        if xs.len() < 2 {
            return None;
        }
        let mut best: Option<(f64, Knee)> = None;
        for &knee in &xs {
            let model = fit_at(points, knee);
            let sse: f64 = points.iter().map(|&(x, y)| (model.at(x) - y).powi(2)).sum();
            if best.is_none_or(|(b, _)| sse < b) {
                best = Some((sse, model));
            }
        }
        best.map(|b| b.1)
    }
}

/// The least-squares (flat, slope) for a given knee: linear regression of y on max(0, x − knee), the
/// slope clamped at 0 (then flat is the mean).
fn fit_at(points: &[(f64, f64)], knee: f64) -> Knee {
    let n = points.len() as f64;
    let (mut sf, mut sy, mut sff, mut sfy) = (0.0, 0.0, 0.0, 0.0);
    for &(x, y) in points {
        let f = (x - knee).max(0.0);
        sf += f;
        sy += y;
        sff += f * f;
        sfy += f * y;
    }
    let var = sff - sf * sf / n;
    let slope = if var > 0.0 {
        ((sfy - sf * sy / n) / var).max(0.0)
    } else {
        0.0
    };
    Knee {
        knee,
        flat: (sy - slope * sf) / n,
        slope,
    }
}

/// Mean absolute percentage error of `model` on `points`, in percent (points with y = 0 left out; 0
/// when none remain).
pub fn mape(model: &Knee, points: &[(f64, f64)]) -> f64 {
    let errors: Vec<f64> = points
        .iter()
        .filter(|p| p.1 != 0.0)
        .map(|&(x, y)| ((model.at(x) - y) / y).abs())
        .collect();
    if errors.is_empty() {
        return 0.0;
    }
    100.0 * errors.iter().sum::<f64>() / errors.len() as f64
}

/// One calibrated cost: a stage (or `upload`) in one storage type on one adapter.
#[derive(Clone, Debug, PartialEq)]
pub struct StageCost {
    /// The stage: `expert_scores`, `expert_combine` (milliseconds per expert against tokens per expert)
    /// or `upload` (milliseconds per batch against experts per batch, host to device).
    pub stage: String,
    /// f16 storage (else f32).
    pub f16: bool,
    /// The fit, made on every other measured size.
    pub model: Knee,
    /// Every measurement (size, milliseconds), in size order.
    pub points: Vec<(f64, f64)>,
    /// [`mape`] of `model` on the sizes it was not fitted on, in percent.
    pub held_out_mape: f64,
}

impl StageCost {
    /// Fits `points` (sorted by size): the model on the even-indexed sizes, its error on the odd-indexed.
    /// `None` where the fit is (too few points).
    pub fn fit(stage: &str, f16: bool, mut points: Vec<(f64, f64)>) -> Option<StageCost> {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let train: Vec<(f64, f64)> = points.iter().copied().step_by(2).collect();
        let held: Vec<(f64, f64)> = points.iter().copied().skip(1).step_by(2).collect();
        let model = Knee::fit(&train)?;
        Some(StageCost {
            stage: stage.to_string(),
            f16,
            model,
            held_out_mape: mape(&model, &held),
            points,
        })
    }
}

/// The calibrated costs of one adapter.
#[derive(Clone, Debug, PartialEq)]
pub struct CostModel {
    /// The adapter's name.
    pub adapter: String,
    /// The hidden size (row length of the expert vectors) measured with.
    pub hidden: usize,
    /// One fit per (stage, dtype).
    pub stages: Vec<StageCost>,
}

impl CostModel {
    /// The predicted milliseconds of `stage` in f16 or f32 at size `x`, where calibrated.
    pub fn predict(&self, stage: &str, f16: bool, x: f64) -> Option<f64> {
        self.stages
            .iter()
            .find(|s| s.stage == stage && s.f16 == f16)
            .map(|s| s.model.at(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(model: Knee, xs: &[f64]) -> Vec<(f64, f64)> {
        xs.iter().map(|&x| (x, model.at(x))).collect()
    }

    const XS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

    #[test]
    fn a_knee_on_a_measured_size_is_recovered_exactly() {
        let truth = Knee {
            knee: 16.0,
            flat: 0.02,
            slope: 0.001,
        };
        let fit = Knee::fit(&sample(truth, &XS)).unwrap();
        assert_eq!(fit.knee, 16.0);
        assert!((fit.flat - 0.02).abs() < 1e-12 && (fit.slope - 0.001).abs() < 1e-12);
        assert!(mape(&fit, &sample(truth, &[3.0, 100.0, 300.0])) < 1e-9);
    }

    #[test]
    fn flat_and_linear_costs_fit_as_such() {
        let flat = sample(
            Knee {
                knee: 0.0,
                flat: 0.5,
                slope: 0.0,
            },
            &XS,
        );
        let fit = Knee::fit(&flat).unwrap();
        assert_eq!(fit.slope, 0.0);
        assert!((fit.flat - 0.5).abs() < 1e-12);
        // Linear from the first size: the knee is the lowest x.
        let line: Vec<(f64, f64)> = XS.iter().map(|&x| (x, 0.1 + 0.01 * x)).collect();
        let fit = Knee::fit(&line).unwrap();
        assert_eq!(fit.knee, 1.0);
        assert!((fit.slope - 0.01).abs() < 1e-12 && (fit.at(1.0) - 0.11).abs() < 1e-12);
    }

    #[test]
    fn a_falling_cost_gets_no_negative_slope() {
        let falling: Vec<(f64, f64)> = XS.iter().map(|&x| (x, 1.0 / x)).collect();
        let fit = Knee::fit(&falling).unwrap();
        assert!(fit.slope >= 0.0);
    }

    #[test]
    fn too_few_or_bad_points_do_not_fit() {
        assert_eq!(Knee::fit(&[]), None);
        assert_eq!(Knee::fit(&[(1.0, 2.0), (1.0, 3.0)]), None);
        assert_eq!(Knee::fit(&[(1.0, 2.0), (2.0, f64::NAN)]), None);
        assert!(StageCost::fit("upload", false, vec![(1.0, 1.0), (2.0, 2.0)]).is_none());
    }

    #[test]
    fn mape_is_the_mean_relative_error_in_percent() {
        let model = Knee {
            knee: 0.0,
            flat: 1.0,
            slope: 0.0,
        };
        // Errors 0% and 50%; the zero measurement is left out.
        assert!((mape(&model, &[(1.0, 1.0), (2.0, 2.0), (3.0, 0.0)]) - 25.0).abs() < 1e-12);
        assert_eq!(mape(&model, &[]), 0.0);
    }

    #[test]
    fn stage_costs_fit_every_other_size_and_report_the_rest() {
        // The knee on a fitted size (every other of XS: 1, 4, 16, 64, 256).
        let truth = Knee {
            knee: 16.0,
            flat: 0.01,
            slope: 0.002,
        };
        // Noise on the held-out sizes only: their error is what the fit reports.
        let points: Vec<(f64, f64)> = XS
            .iter()
            .enumerate()
            .map(|(i, &x)| (x, truth.at(x) * if i % 2 == 1 { 1.1 } else { 1.0 }))
            .collect();
        let cost = StageCost::fit("expert_scores", true, points.clone()).unwrap();
        assert!((cost.held_out_mape - 100.0 / 11.0).abs() < 1e-6);
        assert_eq!(cost.points, points);
        let model = CostModel {
            adapter: "test".into(),
            hidden: 64,
            stages: vec![cost],
        };
        let predicted = model.predict("expert_scores", true, 100.0).unwrap();
        assert!((predicted - truth.at(100.0)).abs() < 1e-12);
        assert_eq!(model.predict("expert_scores", false, 8.0), None);
    }
}
