//! The `omnimoe` binary's measuring commands end to end: bench (sweeps, adapters), routing-bench and
//! calibrate.

mod common;

use common::*;

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
    let stack = ["gpu_ms", "wall_ms", "gpu_ms_per_layer", "wall_ms_per_layer"];
    assert_positive(&v["stack"], &stack, "stack");
    for key in ["adapter", "backend", "driver"] {
        assert!(v[key].as_str().is_some_and(|s| !s.is_empty()), "{key}: {v}");
    }
    assert_eq!(v["config"]["num_experts"], 100);
    assert_eq!(v["config"]["tokens"], 40);
    let keys = [
        "layer_ms",
        "layer_wall_ms",
        "layer_staged_ms",
        "layer_unprepared_wall_ms",
        "weight_gbps",
        "expert_centric_ms",
        "token_centric_ms",
        "speedup_vs_token_centric",
    ];
    assert_positive(&v, &keys, "report");
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
fn bench_token_sweep_reports_gpu_and_wall_time_weight_bandwidth_and_stacks() {
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
        "--layers",
        "2",
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
        let keys = [
            "layer_ms",
            "layer_wall_ms",
            "layer_staged_ms",
            "weight_gbps",
        ];
        assert_positive(p, &keys, "point");
        // `--layers 2`: a stack of two layers with weights of their own, at every point.
        assert_eq!(p["stack"]["layers"], 2, "{p}");
        assert_positive(
            &p["stack"],
            &["gpu_ms", "gpu_ms_per_layer", "wall_ms_per_layer"],
            "stack",
        );
        // Up to 256 tokens, each GEMM timed alone on weights from device memory (where there are
        // timestamps to time it by).
        let stream = p["gemm_stream"].as_array().unwrap();
        if v["timestamps"].as_bool().unwrap() && p["tokens"].as_u64().unwrap() <= 256 {
            let names: Vec<&str> = stream.iter().map(|g| g["gemm"].as_str().unwrap()).collect();
            assert_eq!(names, ["gate_up", "down"], "{p}");
            for g in stream {
                assert_positive(g, &["ms", "weight_gbps"], "gemm_stream");
            }
        } else {
            assert!(stream.is_empty(), "{p}");
        }
    }
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.contains("<svg"));
    assert!(
        drawn.contains("stack of distinct layers"),
        "the stack's series"
    );
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
