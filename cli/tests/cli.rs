//! The `omnimoe` binary end to end.

use std::path::PathBuf;
use std::process::Command;

use omnimoe::io::TensorFile;

fn golden(name: &str) -> PathBuf {
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

fn omnimoe(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_omnimoe"))
        .args(args)
        .output()
        .unwrap()
}

/// [`omnimoe`], asserting that it succeeded (its stderr otherwise).
fn omnimoe_ok(args: &[&str]) -> std::process::Output {
    let run = omnimoe(args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    run
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    dir.join(name)
}

/// Runs `forward` on a golden file and checks `output` and `router.scores` against it.
fn forward_reproduces_golden(case: &str, device: &str) {
    forward_reproduces_golden_with(case, device, &[]);
}

/// [`forward_reproduces_golden`] with `extra` arguments.
fn forward_reproduces_golden_with(case: &str, device: &str, extra: &[&str]) {
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

#[test]
fn bench_writes_json_with_the_documented_keys() {
    let json = tmp("bench.json");
    omnimoe_ok(&[
        "bench",
        "--tokens",
        "40",
        "--hidden",
        "32",
        "--intermediate",
        "48",
        "--experts",
        "100",
        "--top-k",
        "4",
        "--runs",
        "2",
        "--warmup",
        "1",
        "--layers",
        "3",
        "--json",
        json.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["stack"]["layers"], 3);
    let router = v["router_variants_ms"].as_object().unwrap();
    for name in [
        "normalise",
        "sort_only",
        "rank_only",
        "rank_normalise_tree",
        "rank_normalise_flat",
    ] {
        assert!(
            router
                .get(name)
                .and_then(|m| m.as_f64())
                .is_some_and(|m| m > 0.0),
            "router variant {name}: {v}"
        );
    }
    for key in ["gpu_ms", "wall_ms", "gpu_ms_per_layer", "wall_ms_per_layer"] {
        assert!(
            v["stack"][key]
                .as_f64()
                .is_some_and(|x| x.is_finite() && x > 0.0),
            "stack {key}: {v}"
        );
    }
    for key in ["adapter", "backend", "driver"] {
        assert!(v[key].as_str().is_some_and(|s| !s.is_empty()), "{key}: {v}");
    }
    assert_eq!(v["config"]["num_experts"], 100);
    assert_eq!(v["config"]["tokens"], 40);
    for key in [
        "layer_ms",
        "layer_wall_ms",
        "layer_staged_ms",
        "layer_unprepared_wall_ms",
        "weight_gbps",
        "expert_centric_ms",
        "token_centric_ms",
        "speedup_vs_token_centric",
    ] {
        assert!(
            v[key].as_f64().is_some_and(|x| x.is_finite() && x > 0.0),
            "{key}: {v}"
        );
    }
    let stages = v["stages"].as_object().unwrap();
    let ec = v["expert_centric_stages"].as_object().unwrap();
    let present = |map: &serde_json::Map<String, serde_json::Value>, stage: &str| {
        map.get(stage)
            .and_then(|m| m.as_f64())
            .is_some_and(|m| m >= 0.0)
    };
    // At T = 40 the token-centric expert stage is one pass (expert_token).
    for stage in [
        "dense_gate_up_router",
        "router_topk",
        "expert_token",
        "dense_down",
    ] {
        assert!(present(stages, stage), "{stage}: {v}");
    }
    for stage in [
        "expert_histogram",
        "expert_scan",
        "expert_scatter",
        "expert_scores",
    ] {
        assert!(present(ec, stage), "{stage}: {v}");
    }
}

#[test]
fn bench_token_sweep_reports_gpu_and_wall_time_and_weight_bandwidth() {
    let (json, svg) = (tmp("sweep.json"), tmp("sweep.svg"));
    omnimoe_ok(&[
        "bench",
        "--hidden",
        "32",
        "--intermediate",
        "48",
        "--experts",
        "100",
        "--top-k",
        "4",
        "--tokens",
        "16",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--no-autotune",
        "--sweep",
        "tokens",
        "--json",
        json.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let points = v["sweep"].as_array().unwrap();
    let tokens: Vec<u64> = points
        .iter()
        .map(|p| p["tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(tokens, [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096]);
    for p in points {
        for key in [
            "layer_ms",
            "layer_wall_ms",
            "layer_staged_ms",
            "weight_gbps",
        ] {
            assert!(
                p[key].as_f64().is_some_and(|x| x.is_finite() && x > 0.0),
                "{key}: {p}"
            );
        }
        // Up to 256 tokens, each GEMM timed alone on weights from device memory (where there are
        // timestamps to time it by).
        let stream = p["gemm_stream"].as_array().unwrap();
        if v["timestamps"].as_bool().unwrap() && p["tokens"].as_u64().unwrap() <= 256 {
            let names: Vec<&str> = stream.iter().map(|g| g["gemm"].as_str().unwrap()).collect();
            assert_eq!(names, ["gate_up", "down"], "{p}");
            for g in stream {
                for key in ["ms", "weight_gbps"] {
                    assert!(
                        g[key].as_f64().is_some_and(|x| x.is_finite() && x > 0.0),
                        "{key}: {g}"
                    );
                }
            }
        } else {
            assert!(stream.is_empty(), "{p}");
        }
    }
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("<svg"));
    // The same plot drawn again from the JSON, without measuring.
    let again = tmp("sweep-again.svg");
    omnimoe_ok(&[
        "bench",
        "--sweep",
        "tokens",
        "--replot",
        json.to_str().unwrap(),
        "--plot",
        again.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), drawn);
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

/// `routing-bench` on a small layer: the documented JSON with every mode's pairs and the quality rows.
#[test]
fn routing_bench_writes_modes_telemetry_and_quality() {
    let json = tmp("routing-bench.json");
    omnimoe_ok(&[
        "routing-bench",
        "--tokens",
        "64",
        "--runs",
        "1",
        "--layer",
        "32",
        "48",
        "256",
        "8",
        "--dense-moe",
        "16",
        "24",
        "8",
        "2",
        "--quality",
        golden("tiny").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let dense = r["dense_router"].as_array().unwrap();
    assert_eq!(dense.len(), 4);
    for d in dense {
        assert!(
            d["unified_select_ms"].as_f64().is_some_and(|v| v > 0.0),
            "{d}"
        );
    }
    let layer = r["layer"].as_array().unwrap();
    let pairs: Vec<u64> = layer.iter().map(|l| l["pairs"].as_u64().unwrap()).collect();
    // Token choice K = 8 a token; unified 2, 4 and 8 a token; expert choice ⌈8·64/256⌉ = 2 an expert.
    assert_eq!(&pairs[..4], &[512, 128, 256, 512]);
    assert!(pairs[4] <= 512);
    for l in layer {
        let hist = l["experts_per_token"].as_array().unwrap();
        assert_eq!(
            hist.iter().map(|v| v.as_u64().unwrap()).sum::<u64>(),
            64,
            "{l}"
        );
    }
    assert_eq!(r["quality"].as_array().unwrap().len(), 10);
    // The dense-router MoE layer: k = 2 a token, then 1 and 2 a token unified, then expert choice.
    let dense: Vec<u64> = r["dense_moe"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["pairs"].as_u64().unwrap())
        .collect();
    assert_eq!(&dense[..3], &[128, 64, 128]);
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

/// `omnimoe calibrate` writes the cost model: a fit per stage and storage type with its parameters, its
/// held-out error and the measurements it came from.
#[test]
fn calibrate_writes_the_cost_model() {
    let json = tmp("cost-model.json");
    let run = omnimoe_ok(&[
        "calibrate",
        "--hidden",
        "64",
        "--experts",
        "32",
        "--max-tokens",
        "16",
        "--max-upload",
        "16",
        "--reps",
        "2",
        "--json",
        json.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("held-out MAPE"), "{text}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(r["adapter"].as_str().is_some_and(|a| !a.is_empty()));
    assert_eq!(r["hidden"], 64);
    let stages = r["stages"].as_array().unwrap();
    for stage in ["expert_scores", "expert_combine", "expert_ragged", "upload"] {
        let s = stages
            .iter()
            .find(|s| s["stage"] == stage && s["dtype"] == "f32")
            .unwrap_or_else(|| panic!("{stage} missing: {r}"));
        for key in ["knee", "flat_ms", "slope_ms", "held_out_mape_pct"] {
            assert!(
                s[key].as_f64().is_some_and(f64::is_finite),
                "{stage} {key}: {s}"
            );
        }
        let points = s["points"].as_array().unwrap();
        // Tokens 1, 2, 3, 4, 6, 8, 12, 16; uploads 1, 2, 4, 8, 16.
        assert_eq!(points.len(), if stage == "upload" { 5 } else { 8 }, "{s}");
    }
}

/// `omnimoe bench --adapters 2`: two devices standing in for two adapters, experts skewed onto the first
/// and cached in at most 200 slots each, each retention θ with its per-adapter times, critical adapter,
/// imbalance, removed weight, error and cache hits.
#[test]
fn bench_over_two_adapters_reports_each_retention() {
    let json = tmp("bench-adapters.json");
    let svg = tmp("bench-adapters.svg");
    omnimoe_ok(&[
        "bench",
        "--adapters",
        "2",
        "--tokens",
        "32",
        "--hidden",
        "32",
        "--intermediate",
        "64",
        "--experts",
        "256",
        "--top-k",
        "8",
        "--runs",
        "1",
        "--prune-theta",
        "1.0,0.8",
        "--resident-experts",
        "200",
        "--json",
        json.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["adapters"].as_array().unwrap().len(), 2);
    let experts: Vec<u64> = r["experts_per_adapter"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(experts, vec![179, 77]); // 0.7 of 256 on adapter 0
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for p in points {
        assert_eq!(p["per_adapter_ms"].as_array().unwrap().len(), 2, "{p}");
        // The timed forwards repeat the warm-up's input: their experts are resident.
        let hits: u64 = p["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert!(hits > 0, "{p}");
        assert!(p["critical_adapter"].as_u64().unwrap() < 2);
        assert!(p["imbalance"].as_f64().unwrap() >= 1.0);
        let theta = p["theta"].as_f64().unwrap();
        let removed = p["removed_weight"].as_f64().unwrap();
        assert!(removed <= 1.0 - theta + 1e-6, "{p}");
        let err = p["rel_error"].as_f64().unwrap();
        if theta == 1.0 {
            assert_eq!((removed, err), (0.0, 0.0));
        } else {
            // The overloaded adapter loses pairs, and the output moves with them.
            assert!(removed > 0.0 && err > 0.0, "{p}");
        }
    }
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
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
