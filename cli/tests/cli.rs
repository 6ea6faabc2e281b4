//! The `omnimoe` binary end to end: forward, info and demo (the benchmarks: `bench.rs`).

mod common;

use common::*;
use omnimoe::io::TensorFile;

#[test]
fn forward_on_the_cpu_reproduces_golden_outputs() {
    for case in ["tiny", "nonsquare", "medium"] {
        forward_reproduces_golden(case, "cpu");
    }
}

#[test]
fn forward_with_bad_input_fails_with_a_message() {
    let bad = tmp("truncated.safetensors");
    let bytes = std::fs::read(golden("tiny")).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let b = bad.to_str().unwrap();
    let g = golden("tiny");
    let run = omnimoe(&[
        "forward",
        "--weights",
        b,
        "--input",
        b,
        "--out",
        tmp("x.safetensors").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("malformed safetensors"));
    let run = omnimoe(&[
        "forward",
        "--weights",
        g.to_str().unwrap(),
        "--input",
        g.to_str().unwrap(),
        "--input-name",
        "nope",
        "--out",
        tmp("y.safetensors").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("missing tensor `nope`"));
}

#[test]
fn demo_runs_a_small_layer_on_the_cpu() {
    let run = omnimoe_ok(&[
        "--tokens",
        "64",
        "--hidden",
        "32",
        "--intermediate",
        "64",
        "--experts",
        "100",
        "--top-k",
        "4",
        "--device",
        "cpu",
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("R=10") && text.contains("routing:"), "{text}");
    let run = omnimoe(&["--top-k", "3", "--device", "cpu"]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("num_experts_per_token"));
}

#[test]
fn info_reports_adapters_or_says_there_is_none() {
    let run = omnimoe_ok(&["info"]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("adapter"), "{text}");
}

#[test]
fn forward_on_the_gpu_reproduces_golden_outputs() {
    for case in ["tiny", "nonsquare", "kbig", "medium"] {
        forward_reproduces_golden(case, "gpu");
    }
}

/// `--max-binding-bytes 65536`: every weight of `small` and `medium` larger than a binding (dense weights
/// in blocks of rows, `medium`'s expert tables in 16 parts), the golden outputs still.
#[test]
fn forward_on_the_gpu_with_64_kib_bindings_reproduces_golden_outputs() {
    for case in ["tiny", "small", "nonsquare", "kbig", "medium"] {
        forward_reproduces_golden_with(case, "gpu", &["--max-binding-bytes", "65536"]);
    }
}

#[test]
fn demo_on_the_gpu_checks_a_sample_against_the_cpu() {
    let run = omnimoe_ok(&[
        "--tokens",
        "96",
        "--hidden",
        "48",
        "--intermediate",
        "80",
        "--experts",
        "300",
        "--top-k",
        "6",
        "--device",
        "gpu",
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("forward on the GPU") && text.contains("(ok)"),
        "{text}"
    );
}

/// `--max-binding-bytes`: expert tables of 512 KiB in 64 KiB bindings (8 parts), the same output file.
#[test]
fn forward_with_small_bindings_writes_the_same_file() {
    use omnimoe::io::{to_safetensors, TensorData};
    let w =
        omnimoe::OmniMoeWeights::random(omnimoe::OmniMoeConfig::new(32, 48, 4096, 8).unwrap(), 3)
            .unwrap();
    let weights = tmp("split-weights.safetensors");
    std::fs::write(&weights, w.to_safetensors("").unwrap()).unwrap();
    let x = omnimoe::rng::SplitMix64::new(8).normals(50 * 32);
    let input = tmp("split-input.safetensors");
    let bytes =
        to_safetensors(&[("input".into(), vec![50, 32], TensorData::F32(&x))], None).unwrap();
    std::fs::write(&input, bytes).unwrap();
    let run = |extra: &[&str], out: &str| {
        let out = tmp(out);
        let mut args = vec![
            "forward",
            "--weights",
            weights.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--experts-per-token",
            "8",
            "--device",
            "gpu",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        omnimoe_ok(&args);
        std::fs::read(out).unwrap()
    };
    let whole = run(&[], "split-whole.safetensors");
    let split = run(&["--max-binding-bytes", "65536"], "split-parts.safetensors");
    assert!(
        whole == split,
        "splitting the expert tables changed the output"
    );
}

/// `info --weights` prints the layer's planned device memory, in each storage type.
#[test]
fn info_with_weights_prints_the_footprint() {
    let g = golden("small");
    let run = omnimoe_ok(&["info", "--weights", g.to_str().unwrap(), "--tokens", "64"]);
    let out = String::from_utf8_lossy(&run.stdout);
    let bytes = std::fs::read(&g).unwrap();
    let file = TensorFile::parse(&bytes).unwrap();
    let w = omnimoe::OmniMoeWeights::from_file(&file, &Default::default()).unwrap();
    let want = omnimoe::gpu::footprint::footprint(&w.config, false, 128).forward_bytes(64);
    let line = format!("F32: footprint of a forward of 64 tokens: {want} bytes");
    assert!(out.contains(&line), "no `{line}` in:\n{out}");
    assert!(
        out.contains("weights ") && out.contains("per token"),
        "{out}"
    );
}

/// `forward --routing unified --budget 2` on `small` (one group of 64 tokens): 128 pairs in the padded
/// [T, M] outputs, the output the CPU reference gives for the same routing (bit for bit on the CPU,
/// within f32 rounding on the GPU, where it keeps pairs within 1e-5 of the CPU's scores).
#[test]
fn forward_with_unified_routing_writes_padded_pairs_and_the_reference_output() {
    let g = golden("small");
    let bytes = std::fs::read(&g).unwrap();
    let file = TensorFile::parse(&bytes).unwrap();
    let w = omnimoe::OmniMoeWeights::from_file(&file, &Default::default()).unwrap();
    let (_, x) = file.tokens("input", w.config.hidden_size).unwrap();
    let want =
        omnimoe::cpu::forward_routed(&w, &x, &omnimoe::routing::Routing::unified(2.0)).unwrap();
    for device in ["cpu", "gpu"] {
        let out = tmp(&format!("unified-{device}.safetensors"));
        let run = omnimoe_ok(&[
            "forward",
            "--weights",
            g.to_str().unwrap(),
            "--input",
            g.to_str().unwrap(),
            "--device",
            device,
            "--routing",
            "unified",
            "--budget",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(stdout.contains("routing: 128 pairs"), "{stdout}");
        let written = std::fs::read(&out).unwrap();
        let f = TensorFile::parse(&written).unwrap();
        let (shape, idx) = f.int("router.indices").unwrap();
        assert_eq!(shape, vec![64, want.routed.max_per_token()], "{device}");
        assert_eq!(idx.iter().filter(|&&i| i >= 0).count(), 128, "{device}");
        let (_, y) = f.f32("output").unwrap();
        for (i, (a, b)) in y.iter().zip(&want.output).enumerate() {
            let tol = if device == "cpu" {
                0.0
            } else {
                1e-5 + 1e-4 * b.abs()
            };
            assert!((a - b).abs() <= tol, "{device} output[{i}]: {a} vs {b}");
        }
    }
}

/// A dense-router MoE file (OLMoE names under a prefix) through `forward` on the CPU and the GPU: token
/// choice and unified routing with `--alpha`; the output is the CPU reference's for the pairs written.
#[test]
fn forward_runs_a_dense_router_moe_file() {
    use omnimoe::dense_moe::{DenseMoeConfig, DenseMoeWeights};
    use omnimoe::io::{to_safetensors, TensorData};
    let w = DenseMoeWeights::random(DenseMoeConfig::new(16, 24, 8, 2).unwrap(), 4).unwrap();
    let weights = tmp("olmoe-weights.safetensors");
    std::fs::write(&weights, w.to_safetensors("model.layers.0.mlp.").unwrap()).unwrap();
    let x = omnimoe::rng::SplitMix64::new(2).normals(20 * 16);
    let input = tmp("olmoe-input.safetensors");
    let bytes =
        to_safetensors(&[("input".into(), vec![20, 16], TensorData::F32(&x))], None).unwrap();
    std::fs::write(&input, bytes).unwrap();
    for device in ["cpu", "gpu"] {
        for extra in [
            &[][..],
            &["--routing", "unified", "--budget", "1.5", "--alpha", "0.3"][..],
        ] {
            let out = tmp(&format!("olmoe-{device}-{}.safetensors", extra.len()));
            let mut args = vec![
                "forward",
                "--weights",
                weights.to_str().unwrap(),
                "--input",
                input.to_str().unwrap(),
                "--prefix",
                "model.layers.0.mlp.",
                "--experts-per-token",
                "2",
                "--device",
                device,
                "--out",
                out.to_str().unwrap(),
            ];
            args.extend_from_slice(extra);
            omnimoe_ok(&args);
            let written = std::fs::read(&out).unwrap();
            let f = TensorFile::parse(&written).unwrap();
            let (shape, idx) = f.int("router.indices").unwrap();
            let (_, sc) = f.f32("router.scores").unwrap();
            let m = shape[1];
            let mut routed = omnimoe::routing::Routed {
                offsets: vec![0],
                ..Default::default()
            };
            for t in 0..20 {
                for j in 0..m {
                    if idx[t * m + j] >= 0 {
                        routed.experts.push(idx[t * m + j] as u32);
                        routed.scores.push(sc[t * m + j]);
                    }
                }
                routed.offsets.push(routed.experts.len() as u32);
            }
            let pairs = if extra.is_empty() { 40 } else { 30 };
            assert_eq!(routed.experts.len(), pairs, "{device} {extra:?}");
            let mut want = vec![0.0; 20 * 16];
            omnimoe::cpu::dense_moe_experts(&w, &x, &routed, &mut want);
            let (_, y) = f.f32("output").unwrap();
            for (i, (a, b)) in y.iter().zip(&want).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 + 1e-4 * b.abs(),
                    "{device} {extra:?} [{i}]: {a} vs {b}"
                );
            }
        }
    }
    // --alpha on an OmniMoE file is refused by name.
    let g = golden("tiny");
    let run = omnimoe(&[
        "forward",
        "--weights",
        g.to_str().unwrap(),
        "--input",
        g.to_str().unwrap(),
        "--alpha",
        "0.3",
        "--out",
        tmp("alpha.safetensors").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("alpha"));
}

/// `omnimoe forward --adapters 2` (two devices standing in): the experts split over them, at most 16
/// resident per adapter, and still the golden outputs.
#[test]
fn forward_over_two_adapters_reproduces_the_golden_files() {
    for case in ["small", "medium"] {
        forward_reproduces_golden_with(
            case,
            "gpu",
            &["--adapters", "2", "--resident-experts", "16"],
        );
    }
}
