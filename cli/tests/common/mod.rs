//! What the `omnimoe` binary's end-to-end tests share: the golden files, running the binary, scratch paths,
//! and a forward checked against a golden file.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use omnimoe::io::TensorFile;

pub fn golden(name: &str) -> PathBuf {
    let dir = std::env::var_os("OMNIMOE_GOLDEN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden"));
    let path = dir.join(format!("{name}.safetensors"));
    assert!(
        path.is_file(),
        "golden file missing: {} (check out shared/ beside the repository)",
        path.display()
    );
    path
}

pub fn omnimoe(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_omnimoe"))
        .args(args)
        .output()
        .unwrap()
}

/// [`omnimoe`], asserting that it succeeded (its stderr otherwise).
pub fn omnimoe_ok(args: &[&str]) -> std::process::Output {
    let run = omnimoe(args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    run
}

pub fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    dir.join(name)
}

/// Runs `forward` on a golden file and checks `output` and `router.scores` against it.
pub fn forward_reproduces_golden(case: &str, device: &str) {
    forward_reproduces_golden_with(case, device, &[]);
}

/// [`forward_reproduces_golden`] with `extra` arguments.
pub fn forward_reproduces_golden_with(case: &str, device: &str, extra: &[&str]) {
    let g = golden(case);
    let out = tmp(&format!("{case}-{device}{}.safetensors", extra.join("")));
    let g_str = g.to_str().unwrap();
    let mut args = vec![
        "forward",
        "--weights",
        g_str,
        "--input",
        g_str,
        "--device",
        device,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    omnimoe_ok(&args);
    let ours_bytes = std::fs::read(&out).unwrap();
    let want_bytes = std::fs::read(&g).unwrap();
    let (ours, want) = (
        TensorFile::parse(&ours_bytes).unwrap(),
        TensorFile::parse(&want_bytes).unwrap(),
    );
    for name in ["output", "router.scores"] {
        let (shape, o) = ours.f32(name).unwrap();
        let (wshape, w) = want.f32(name).unwrap();
        assert_eq!(shape, wshape, "{case} {name}");
        for (i, (a, b)) in o.iter().zip(&w).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                "{case} {device} {name}[{i}]: {a} vs {b}"
            );
        }
    }
    let (_, oi) = ours.int("router.indices").unwrap();
    let (_, wi) = want.int("router.indices").unwrap();
    let k = want.shape("router.indices").unwrap()[1];
    for (t, (a, b)) in oi.chunks(k).zip(wi.chunks(k)).enumerate() {
        let (mut a, mut b) = (a.to_vec(), b.to_vec());
        a.sort();
        b.sort();
        assert_eq!(a, b, "{case} {device}: token {t}");
    }
}

/// Asserts that each of `keys` in `v` is a finite number above zero; `what` names `v` in the message.
pub fn assert_positive(v: &serde_json::Value, keys: &[&str], what: &str) {
    for key in keys {
        assert!(
            v[key].as_f64().is_some_and(|x| x.is_finite() && x > 0.0),
            "{what} {key}: {v}"
        );
    }
}
