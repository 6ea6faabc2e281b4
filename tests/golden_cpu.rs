//! The CPU reference against the authors' PyTorch module on every golden file.

mod common;

use common::{assert_close, assert_same_sets, golden_case, golden_cases};
use omnimoe::io::TensorFile;
use omnimoe::{cpu, LoadOptions, OmniMoeWeights};

#[test]
fn cpu_reference_matches_every_golden_file() {
    for (name, bytes) in golden_cases() {
        let file = TensorFile::parse(&bytes).unwrap();
        let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
        let c = w.config;
        let (h, r, k) = (c.hidden_size, c.grid(), c.num_experts_per_token);
        let (t, x) = file.tokens("input", h).unwrap();
        let out = cpu::forward(&w, &x).unwrap();
        let g = |n: &str| file.f32(n).unwrap().1;
        let strict = |what: &str, ours: &[f32], want: &[f32]| {
            assert_close(&format!("{name}: {what}"), ours, want, 1e-5, 1e-4)
        };
        strict("output", &out.output, &g("output"));
        strict("dense_output", &out.dense, &g("dense_output"));
        strict("sparse_output", &out.sparse, &g("sparse_output"));
        strict("router.scores", &out.scores, &g("router.scores"));
        let weights: Vec<f32> = out.scores.iter().map(|s| s.exp()).collect();
        strict("router.weights", &weights, &g("router.weights"));
        let (lx, ly): (Vec<f32>, Vec<f32>) = (0..t)
            .flat_map(|ti| (0..r).map(move |i| (ti, i)))
            .map(|(ti, i)| (out.logits[ti * 2 * r + i], out.logits[ti * 2 * r + r + i]))
            .unzip();
        strict("router.logits_x", &lx, &g("router.logits_x"));
        strict("router.logits_y", &ly, &g("router.logits_y"));
        let (_, want_idx) = file.int("router.indices").unwrap();
        assert_same_sets(
            &format!("{name}: router.indices"),
            &out.indices,
            &want_idx,
            k,
        );
        eprintln!("{name}: T={t} {c:?} matches");
    }
}

#[test]
fn cpu_reference_is_deterministic() {
    let bytes = golden_case("medium");
    let file = TensorFile::parse(&bytes).unwrap();
    let w = OmniMoeWeights::from_file(&file, &LoadOptions::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    let a = cpu::forward(&w, &x).unwrap();
    let b = cpu::forward(&w, &x).unwrap();
    assert_eq!(a, b);
}
