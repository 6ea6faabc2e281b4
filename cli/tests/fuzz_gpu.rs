//! 320 mutated `omnimoe forward` runs through the GPU path (lavapipe under `cargo xtask test`): golden files
//! with bytes flipped, header fields rewritten, or cut short, each run once on the GPU and once on the CPU.
//! No panic, no hang; a rejection is exit status 1 with a message naming what is wrong and no output file;
//! what the GPU accepts, the CPU accepts too, with the same output.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use omnimoe::io::TensorFile;
use omnimoe::rng::SplitMix64;

const RUNS: usize = 320;

fn golden(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("OMNIMOE_GOLDEN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/golden"));
    let path = dir.join(format!("{name}.safetensors"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {}: {e} (check out shared/ beside the repository)",
            path.display()
        )
    })
}

/// Header tokens worth rewriting: dtypes (F16 and BF16 are valid), shapes, names, offsets, K.
const REWRITES: &[(&str, &str)] = &[
    ("\"F32\"", "\"F16\""),
    ("\"F32\"", "\"BF16\""),
    ("\"F32\"", "\"I64\""),
    ("\"shape\":[8,16]", "\"shape\":[9,16]"),
    ("\"shape\":[8,16]", "\"shape\":[8,15]"),
    ("\"shape\":[64,64]", "\"shape\":[64,63]"),
    ("\"shape\":[16,16]", "\"shape\":[15,16]"),
    ("\"shape\":[256,64]", "\"shape\":[255,64]"),
    ("up_embed", "up_embeds"),
    ("router.indices", "router.idx"),
    ("\"input\"", "\"inputs\""),
    ("data_offsets\":[0,", "data_offsets\":[8,"),
];

/// A draw in 0..n.
fn below(rng: &mut SplitMix64, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

/// The file with 1–3 mutations drawn from `rng`.
fn mutate(mut bytes: Vec<u8>, rng: &mut SplitMix64) -> Vec<u8> {
    let n = 1 + below(rng, 3);
    for _ in 0..n {
        if bytes.len() < 9 {
            break;
        }
        let header =
            (u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize).min(bytes.len() - 8);
        let data = bytes.len() - 8 - header;
        match below(rng, 20) {
            // Tensor data: values change, or become NaN / Inf.
            0..=7 if data > 0 => {
                let i = 8 + header + below(rng, data);
                bytes[i] = rng.next_u64() as u8;
            }
            8..=10 if header > 0 => {
                let i = 8 + below(rng, header);
                bytes[i] = rng.next_u64() as u8;
            }
            11..=12 => {
                let cut = below(rng, bytes.len());
                bytes.truncate(cut);
            }
            13..=18 => {
                let (a, b) = REWRITES[below(rng, REWRITES.len())];
                let text = String::from_utf8_lossy(&bytes[8..8 + header]).into_owned();
                if text.contains(a) {
                    let new = text.replacen(a, b, 1);
                    let mut out = (new.len() as u64).to_le_bytes().to_vec();
                    out.extend_from_slice(new.as_bytes());
                    out.extend_from_slice(&bytes[8 + header..]);
                    bytes = out;
                }
            }
            _ => {
                let i = below(rng, bytes.len());
                let junk: Vec<u8> = (0..1 + below(rng, 8))
                    .map(|_| rng.next_u64() as u8)
                    .collect();
                bytes.splice(i..i, junk);
            }
        }
    }
    bytes
}

/// What one `forward` run did.
enum Outcome {
    /// Exit 0, with the output file's bytes.
    Wrote(Vec<u8>),
    /// Exit 1, with its message.
    Refused(String),
}

/// Runs `omnimoe forward` on `file` (weights and input) on `device`; fails the test on a crash, a hang,
/// or a refusal that leaves an output file or says nothing.
fn forward(file: &Path, out: &Path, device: &str, what: &str) -> Outcome {
    let _ = std::fs::remove_file(out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_omnimoe"))
        .args(["forward", "--weights"])
        .arg(file)
        .arg("--input")
        .arg(file)
        .args(["--device", device, "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{what} on {device}: no answer in 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    match status.code() {
        Some(0) => {
            Outcome::Wrote(std::fs::read(out).unwrap_or_else(|e| {
                panic!("{what} on {device}: success without an output file: {e}")
            }))
        }
        Some(1) => {
            assert!(
                !out.exists(),
                "{what} on {device}: an output file after an error"
            );
            assert!(
                stderr.contains("error"),
                "{what} on {device}: refused without a message: {stderr:?}"
            );
            Outcome::Refused(stderr)
        }
        other => panic!("{what} on {device}: exit {other:?} (a crash?): {stderr}"),
    }
}

/// GPU and CPU outputs of an accepted file agree (f32 tolerance), and so do the chosen experts.
fn same_output(gpu: &[u8], cpu: &[u8], what: &str) {
    let (g, c) = (
        TensorFile::parse(gpu).unwrap(),
        TensorFile::parse(cpu).unwrap(),
    );
    let (shape, go) = g.f32("output").unwrap();
    let (cshape, co) = c.f32("output").unwrap();
    assert_eq!(shape, cshape, "{what}");
    let scale = co.iter().fold(1f32, |m, v| m.max(v.abs()));
    for (i, (a, b)) in go.iter().zip(&co).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * scale + 1e-4 * b.abs(),
            "{what}: output[{i}] GPU {a} vs CPU {b}"
        );
    }
}

#[test]
fn mutated_forwards_on_the_gpu_fail_cleanly_or_match_the_cpu() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-gpu");
    std::fs::create_dir_all(&dir).unwrap();
    let seeds = [("tiny", golden("tiny")), ("small", golden("small"))];
    // The unmutated files run on the GPU: a missing adapter fails here, not as 320 "refusals".
    for (name, bytes) in &seeds {
        let file = dir.join(format!("{name}.safetensors"));
        std::fs::write(&file, bytes).unwrap();
        match forward(&file, &dir.join("seed-out.safetensors"), "gpu", name) {
            Outcome::Wrote(_) => {}
            Outcome::Refused(e) => panic!("{name} unmutated, on the GPU: {e}"),
        }
    }
    let workers = 2;
    let results: Vec<(usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (dir, seeds) = (&dir, &seeds);
                s.spawn(move || {
                    let (mut wrote, mut refused) = (0, 0);
                    for run in (w..RUNS).step_by(workers) {
                        let mut rng = SplitMix64::new(run as u64 * 7919 + 1);
                        let (name, bytes) = &seeds[run % seeds.len()];
                        let what = format!("run {run} ({name})");
                        let file = dir.join(format!("m{run}.safetensors"));
                        std::fs::write(&file, mutate(bytes.clone(), &mut rng)).unwrap();
                        let gpu = forward(&file, &dir.join(format!("g{run}.out")), "gpu", &what);
                        let cpu = forward(&file, &dir.join(format!("c{run}.out")), "cpu", &what);
                        match (gpu, cpu) {
                            (Outcome::Wrote(g), Outcome::Wrote(c)) => {
                                same_output(&g, &c, &what);
                                wrote += 1;
                            }
                            (Outcome::Refused(g), Outcome::Refused(c)) => {
                                assert_eq!(g, c, "{what}: the GPU and CPU refuse differently");
                                refused += 1;
                            }
                            (Outcome::Wrote(_), Outcome::Refused(e)) => {
                                panic!("{what}: the CPU refuses what the GPU ran: {e}")
                            }
                            (Outcome::Refused(e), Outcome::Wrote(_)) => {
                                panic!("{what}: the GPU refuses what the CPU ran: {e}")
                            }
                        }
                        let _ = std::fs::remove_file(&file);
                    }
                    (wrote, refused)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let (wrote, refused) = results.iter().fold((0, 0), |(a, b), (w, r)| (a + w, b + r));
    eprintln!("{RUNS} mutated forwards: {wrote} ran on both, {refused} refused by both");
    assert_eq!(wrote + refused, RUNS);
    // Both kinds are exercised.
    assert!(
        wrote >= 30 && refused >= 30,
        "{wrote} ran, {refused} refused"
    );
}

/// Found by the run above: finite weights and input whose products overflow f32 gave an output file full
/// of NaN. Now both devices refuse, naming the overflow, and write nothing.
#[test]
fn an_overflowing_forward_is_refused_on_both_devices() {
    use omnimoe::io::{to_safetensors, TensorData};
    use omnimoe::{OmniMoeConfig, OmniMoeWeights};
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("overflow");
    std::fs::create_dir_all(&dir).unwrap();
    let w = OmniMoeWeights::random(OmniMoeConfig::new(16, 32, 64, 4).unwrap(), 1).unwrap();
    let weights = dir.join("weights.safetensors");
    std::fs::write(&weights, w.to_safetensors("").unwrap()).unwrap();
    let x = vec![3.0e30f32; 2 * 16];
    let input = dir.join("input.safetensors");
    let bytes =
        to_safetensors(&[("input".into(), vec![2, 16], TensorData::F32(&x))], None).unwrap();
    std::fs::write(&input, bytes).unwrap();
    for device in ["gpu", "cpu"] {
        let out = dir.join(format!("{device}.out"));
        let _ = std::fs::remove_file(&out);
        let run = Command::new(env!("CARGO_BIN_EXE_omnimoe"))
            .args(["forward", "--weights"])
            .arg(&weights)
            .arg("--input")
            .arg(&input)
            .args(["--experts-per-token", "4", "--device", device, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{device}: {stderr}");
        assert!(stderr.contains("overflowed"), "{device}: {stderr}");
        assert!(!out.exists(), "{device}: an output file after an overflow");
    }
}
