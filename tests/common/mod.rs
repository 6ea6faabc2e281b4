//! Helpers shared by the integration tests: the golden files and tolerance checks.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod checks;
pub mod stage_io;

/// The bits of `v`'s floats, for asserting bitwise equality (with NaN and −0 told apart).
pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|f| f.to_bits()).collect()
}

/// `../shared/golden` beside the workspace root (or `$OMNIMOE_GOLDEN_DIR`); panics with the fix when absent.
pub fn golden_dir() -> PathBuf {
    let dir = std::env::var_os("OMNIMOE_GOLDEN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/golden"));
    assert!(
        dir.join("README.md").is_file(),
        "golden files not found at {}: check out the shared/ folder beside the repository \
         (or set OMNIMOE_GOLDEN_DIR)",
        dir.display()
    );
    dir
}

/// Every golden case, as (name, file bytes).
pub fn golden_cases() -> Vec<(String, Vec<u8>)> {
    let dir = golden_dir();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 5,
        "expected the five golden cases in {}",
        dir.display()
    );
    cases
}

/// One golden case's file bytes, by name (`tiny`, `small`, `nonsquare`, `kbig`, `medium`).
pub fn golden_case(name: &str) -> Vec<u8> {
    let path = golden_dir().join(format!("{name}.safetensors"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts `|ours − want| ≤ abs + rel·|want|` elementwise, reporting the worst element.
pub fn assert_close(what: &str, ours: &[f32], want: &[f32], abs: f32, rel: f32) {
    assert_eq!(ours.len(), want.len(), "{what}: length");
    let mut worst = (0usize, f32::NEG_INFINITY);
    for (i, (&o, &w)) in ours.iter().zip(want).enumerate() {
        let excess = (o - w).abs() - (abs + rel * w.abs());
        let excess = if excess.is_nan() {
            f32::INFINITY
        } else {
            excess
        };
        if excess > worst.1 {
            worst = (i, excess);
        }
    }
    let (i, excess) = worst;
    assert!(
        excess <= 0.0,
        "{what}: element {i}: ours {} vs {} (|diff| {} > {abs} + {rel}·|want|)",
        ours[i],
        want[i],
        (ours[i] - want[i]).abs()
    );
}

/// Asserts that each token's K indices are the same set.
pub fn assert_same_sets(what: &str, ours: &[u32], want: &[i64], k: usize) {
    assert_eq!(ours.len(), want.len(), "{what}: length");
    for (t, (o, w)) in ours.chunks(k).zip(want.chunks(k)).enumerate() {
        let mut o: Vec<i64> = o.iter().map(|&v| v as i64).collect();
        let mut w = w.to_vec();
        o.sort();
        w.sort();
        assert_eq!(o, w, "{what}: token {t} chose other experts");
    }
}

/// One GPU context per test binary; fails (never skips) when there is no adapter.
pub fn gpu() -> &'static omnimoe::gpu::Context {
    static CTX: std::sync::OnceLock<omnimoe::gpu::Context> = std::sync::OnceLock::new();
    CTX.get_or_init(|| gpu_with(&Default::default()))
}

/// A GPU context of its own with `options`; fails (never skips) when there is no adapter.
pub fn gpu_with(options: &omnimoe::gpu::ContextOptions) -> omnimoe::gpu::Context {
    omnimoe::gpu::Context::with_options_blocking(options).unwrap_or_else(|e| {
        panic!(
            "GPU tests need an adapter: {e}. Run them through `cargo xtask test`, which provisions \
             the software Vulkan driver."
        )
    })
}

/// A golden file's layer and input.
pub fn golden_layer(name: &str) -> (omnimoe::OmniMoeWeights, Vec<f32>) {
    let bytes = golden_case(name);
    let file = omnimoe::io::TensorFile::parse(&bytes).unwrap();
    let w = omnimoe::OmniMoeWeights::from_file(&file, &Default::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    (w, x)
}

/// Every product-key candidate of each token of `x` as the CPU reference scores them:
/// (scores, experts, M = K'²).
pub fn product_key_candidates(
    w: &omnimoe::OmniMoeWeights,
    x: &[f32],
) -> (Vec<f32>, Vec<u32>, usize) {
    let c = w.config;
    let (h, r) = (c.hidden_size, c.grid());
    let mut logits = vec![0.0; x.len() / h * 2 * r];
    let ell = omnimoe::cpu::RouterStacks::of(w).log_probs(x, h, &mut logits);
    let (scores, experts) = omnimoe::cpu::router_candidates(&ell, r, c.num_experts_per_token);
    (scores, experts, c.axis_k() * c.axis_k())
}
