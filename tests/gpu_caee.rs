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
            ["expert_scores", "expert_combine", "expert_ragged", "upload"]
                .map(|s| (s.to_string(), f16))
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

mod multi {
    use super::common;
    use omnimoe::caee::{self, ExpertCost, Placement};
    use omnimoe::cpu;
    use omnimoe::gpu::layer::{LayerOptions, OmniMoeLayer};
    use omnimoe::gpu::multi_adapter::{contexts, MultiAdapterLayer, Prune};
    use omnimoe::routing::Routed;

    /// Every expert costs its tokens, twice as much on adapter 0.
    struct Linear;

    impl ExpertCost for Linear {
        fn expert_ms(&self, adapter: usize, tokens: u32, _resident: bool) -> f64 {
            if tokens == 0 {
                0.0
            } else {
                (1.0 + tokens as f64) * if adapter == 0 { 2.0 } else { 1.0 }
            }
        }
    }

    /// y on the CPU for the router's decisions `indices` `[T, K]` with `weights` (0 = pruned).
    fn cpu_with(
        w: &omnimoe::OmniMoeWeights,
        x: &[f32],
        indices: &[u32],
        weights: &[f32],
    ) -> Vec<f32> {
        let (h, k) = (w.config.hidden_size, w.config.num_experts_per_token);
        let t = x.len() / h;
        let (mut offsets, mut experts, mut scores) = (vec![0u32], Vec::new(), Vec::new());
        for tok in 0..t {
            for s in 0..k {
                if weights[tok * k + s] > 0.0 {
                    experts.push(indices[tok * k + s]);
                    scores.push(weights[tok * k + s].ln());
                }
            }
            offsets.push(experts.len() as u32);
        }
        let routed = Routed {
            offsets,
            experts,
            scores,
        };
        let mut dense = vec![0.0; t * h];
        cpu::dense_swiglu(w, x, &mut dense);
        let mut sparse = vec![0.0; t * h];
        cpu::expert_branch(w, x, &routed, &mut sparse);
        dense.iter().zip(&sparse).map(|(d, s)| d + s).collect()
    }

    /// One adapter is the layer: the same output bits, the same routing.
    #[test]
    fn one_adapter_is_the_layer() {
        let (w, x) = common::golden_layer("small");
        let ctxs = contexts(1).unwrap();
        let opts = LayerOptions::default();
        let placement = Placement::new(vec![0; w.config.num_experts], 1).unwrap();
        let multi = MultiAdapterLayer::new(&[&ctxs[0]], &w, placement, &opts, None).unwrap();
        let got = multi.forward_blocking(&x, None).unwrap();
        let layer = OmniMoeLayer::new(&ctxs[0], &w, &opts).unwrap();
        let want = pollster::block_on(layer.forward_host(&x)).unwrap();
        assert_eq!(got.indices, want.indices);
        assert_eq!(got.scores, want.scores);
        assert_eq!(got.output, want.output);
        assert_eq!(got.per_adapter_ms.len(), 1);
        assert_eq!((got.critical_adapter, got.removed_weight), (0, 0.0));
    }

    /// Two devices standing in for two adapters, the experts split unevenly: the CPU's output for the
    /// same routing, the same bits on a second run, a time and the imbalance per adapter.
    #[test]
    fn two_adapters_match_the_cpu_and_repeat_bit_for_bit() {
        let (w, x) = common::golden_layer("medium");
        let ctxs = contexts(2).unwrap();
        let placement = Placement::skewed(w.config.num_experts, 2, 0.7).unwrap();
        let refs: Vec<_> = ctxs.iter().collect();
        let multi =
            MultiAdapterLayer::new(&refs, &w, placement, &LayerOptions::default(), None).unwrap();
        let a = multi.forward_blocking(&x, None).unwrap();
        let b = multi.forward_blocking(&x, None).unwrap();
        assert_eq!(a.output, b.output);
        let weights: Vec<f32> = a.scores.iter().map(|s| s.exp()).collect();
        let want = cpu_with(&w, &x, &a.indices, &weights);
        common::assert_close("two adapters", &a.output, &want, 1e-4, 1e-4);
        assert_eq!(a.per_adapter_ms.len(), 2);
        assert!(a.imbalance >= 1.0 && a.critical_adapter < 2);
    }

    /// Pruning on the adapter predicted slowest: the budget holds, every top-1 stays, the output is the
    /// CPU's for the kept pairs with their weights compensated, and no budget prunes nothing.
    #[test]
    fn pruning_keeps_the_budget_and_compensates() {
        let (w, x) = common::golden_layer("medium");
        let k = w.config.num_experts_per_token;
        let ctxs = contexts(2).unwrap();
        let placement = Placement::skewed(w.config.num_experts, 2, 0.7).unwrap();
        let refs: Vec<_> = ctxs.iter().collect();
        let multi =
            MultiAdapterLayer::new(&refs, &w, placement, &LayerOptions::default(), None).unwrap();
        let none = multi
            .forward_blocking(
                &x,
                Some(&Prune {
                    max_removed: 0.0,
                    cost: &Linear,
                }),
            )
            .unwrap();
        let full = multi.forward_blocking(&x, None).unwrap();
        assert_eq!(none.output, full.output);
        assert_eq!(none.removed_weight, 0.0);
        let pruned = multi
            .forward_blocking(
                &x,
                Some(&Prune {
                    max_removed: 0.3,
                    cost: &Linear,
                }),
            )
            .unwrap();
        let plan = pruned.plan.as_ref().unwrap();
        assert!(plan.keep.iter().any(|&kept| !kept), "nothing pruned");
        assert!(pruned.removed_weight > 0.0 && pruned.removed_weight <= 0.3 + 1e-6);
        let weights: Vec<f32> = pruned.scores.iter().map(|s| s.exp()).collect();
        let (before, after) = (
            plan.before_ms[0].max(plan.before_ms[1]),
            plan.after_ms[0].max(plan.after_ms[1]),
        );
        assert!(after < before, "{before} -> {after}");
        let compensated = caee::compensate(&weights, &plan.keep, k);
        let want = cpu_with(&w, &x, &pruned.indices, &compensated);
        common::assert_close("pruned", &pruned.output, &want, 1e-4, 1e-4);
    }

    /// Expert rows cached in a few slots per adapter give the all-resident layer's bits whatever the
    /// evictions: the first forward misses every expert it needs, the same forward again hits them all
    /// where they fit, a batch needing more experts than slots runs in runs of tokens that fit (evicting
    /// and uploading again), and a token alone needing more experts than slots is refused with both
    /// numbers.
    #[test]
    fn resident_experts_give_the_same_bits() {
        let (w, x) = common::golden_layer("small");
        let k = w.config.num_experts_per_token;
        let ctxs = contexts(2).unwrap();
        let refs: Vec<_> = ctxs.iter().collect();
        let placement = || Placement::skewed(w.config.num_experts, 2, 0.5).unwrap();
        let opts = LayerOptions::default();
        let layer = |slots| MultiAdapterLayer::new(&refs, &w, placement(), &opts, slots).unwrap();
        let all = layer(None);
        let want = all.forward_blocking(&x, None).unwrap();
        // Enough slots for one forward's experts: all misses, then all hits.
        let roomy = layer(Some(w.config.num_experts));
        let first = roomy.forward_blocking(&x, None).unwrap();
        let again = roomy.forward_blocking(&x, None).unwrap();
        assert_eq!(first.output, want.output);
        assert_eq!(again.output, want.output);
        for (a, b) in first.residency.iter().zip(&again.residency) {
            assert!(a.misses > 0 && a.hits == 0, "{a:?}");
            assert_eq!((b.hits, b.misses, b.uploaded_bytes), (a.misses, 0, 0));
        }
        // K slots: every token fits, the batch does not; its runs evict and reload.
        let tight = layer(Some(k));
        let runs = tight.forward_blocking(&x, None).unwrap();
        assert_eq!(runs.output, want.output);
        let misses: u64 = runs.residency.iter().map(|r| r.misses).sum();
        let distinct = {
            let mut d = want.indices.clone();
            d.sort_unstable();
            d.dedup();
            d.len() as u64
        };
        assert!(
            misses > distinct,
            "{misses} misses for {distinct} experts: nothing was evicted"
        );
        // One slot: some token has two of its K ≥ 3 experts on one of the two adapters.
        assert!(k >= 3);
        match layer(Some(1)).forward_blocking(&x, None) {
            Err(omnimoe::Error::Limit {
                what,
                needed,
                allowed,
            }) => {
                assert!(
                    what.contains("resident") && needed > allowed,
                    "{what} {needed} {allowed}"
                )
            }
            other => panic!("{:?}", other.map(|o| o.residency)),
        }
    }
}

/// The ragged expert stage with compensation in its combine pass (`COMPENSATE`) against its CPU twin:
/// each token's pairs weighted by its factor, in pair order.
#[test]
fn compensated_combine_matches_its_cpu_twin() {
    use omnimoe::cpu;
    use omnimoe::gpu::buffers::{self, elem_bytes, Bind};
    use omnimoe::gpu::stages::{self, Recorder, Table};
    use omnimoe::rng::SplitMix64;
    let ctx = gpu();
    let (t, h, k, n) = (37usize, 72usize, 6usize, 50usize);
    let mut rng = SplitMix64::new(5);
    let x = rng.normals(t * h);
    let up = rng.normals(n * h);
    let down = rng.normals(n * h);
    let indices: Vec<u32> = (0..t * k)
        .map(|_| (rng.next_u64() % n as u64) as u32)
        .collect();
    let scores: Vec<f32> = (0..t * k).map(|_| -0.2 - rng.unit()).collect();
    let factors: Vec<f32> = (0..t).map(|_| 1.0 + rng.unit()).collect();
    let offsets: Vec<u32> = (0..=t).map(|i| (i * k) as u32).collect();
    let mut hs = vec![0.0; t * k];
    cpu::expert_scores(&x, &up, h, &scores, &indices, &mut hs);
    let mut want = vec![0.0; t * h];
    cpu::expert_combine_compensated(&hs, &indices, &offsets, &factors, &down, h, &mut want);
    let f32s = |v: &[f32]| buffers::upload(ctx, "f32", &elem_bytes(v, false));
    let u32s = |v: &[u32]| buffers::upload(ctx, "u32", bytemuck::cast_slice(v));
    let (xb, ub, vb, sb, fb) = (
        f32s(&x),
        f32s(&up),
        f32s(&down),
        f32s(&scores),
        f32s(&factors),
    );
    let (ib, ob) = (u32s(&indices), u32s(&offsets));
    let hb = buffers::storage(ctx, "h", (t * k * 4) as u64);
    let yb = buffers::storage(ctx, "y", (t * h * 4) as u64);
    let mut rec = Recorder::new(ctx);
    stages::expert_ragged(
        &mut rec,
        false,
        (t as u32, h as u32),
        Bind::all(&xb),
        Table::one(&ub),
        Table::one(&vb),
        Bind::all(&ob),
        Bind::all(&ib),
        Bind::all(&sb),
        Bind::all(&hb),
        Bind::all(&yb),
        Some(Bind::all(&fb)),
    );
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    rec.encode(&mut encoder, false);
    ctx.queue.submit([encoder.finish()]);
    let got = pollster::block_on(buffers::read_f32(ctx, &yb, 0, t * h)).unwrap();
    common::assert_close("compensated combine", &got, &want, 1e-4, 1e-4);
    // The factors matter: without them the result is another.
    let mut plain = vec![0.0; t * h];
    cpu::expert_combine(&hs, &indices, &down, h, &mut plain);
    assert!(plain.iter().zip(&want).any(|(a, b)| (a - b).abs() > 1e-2));
}
