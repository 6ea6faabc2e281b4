//! What `omnimoe bench` prints: the report of one configuration (per-stage table, the GEMM candidates the
//! autotune timed, the layer's times) and its sweep points.

use omnimoe::gpu::tune::TuneResult;

use super::measure::GemmStream;
use super::report::{Point, Report};

/// Prints `report`; `tuning` holds the autotune's candidates as timed.
pub(super) fn print(report: &Report, tuning: &[TuneResult]) {
    println!(
        "{:<18} {:>10} {:>10} {:>10}",
        "stage", "ms", "TFLOP/s", "GB/s"
    );
    for s in &report.stage_details {
        println!(
            "{:<18} {:>10.4} {:>10.3} {:>10.1}",
            s.name, s.ms, s.tflops, s.gbps
        );
    }
    for t in tuning {
        let (m, n, k) = t.shape;
        let gflop = 2.0 * m as f64 * n as f64 * k as f64 / 1e9;
        println!("gemm {:?} candidates (ms, TFLOP/s):", t.shape);
        for (kernel, ms) in &t.candidates {
            println!("  {kernel:?}: {ms:.4} ms, {:.1} TF", gflop / ms);
        }
        for kernel in &t.rejected {
            println!("  {kernel:?}: rejected by the driver's compiler");
        }
        println!("  -> {:?}", t.chosen);
    }
    let r = report;
    println!(
        "layer (token-centric, the default), prepared: {:.4} ms GPU, {:.4} ms wall ({:.4} polling; \
         host: encode {:.4}, submit {:.4}; an empty submit {:.4}, {:.4} polling), weights {:.0} GB/s",
        r.layer_ms,
        r.layer_wall_ms,
        r.layer_wall_spin_ms,
        r.host_encode_ms,
        r.host_submit_ms,
        r.empty_submit_ms,
        r.empty_submit_spin_ms,
        r.weight_gbps
    );
    println!(
        "layer with a timed pass per stage: {:.4} ms GPU, unprepared forward {:.4} ms wall; \
         expert-centric {}",
        r.layer_staged_ms,
        r.layer_unprepared_wall_ms,
        r.expert_centric_layer_ms
            .map_or("not run (N > 2^20)".into(), |ms| format!("{ms:.4} ms GPU"))
    );
    print_gemm_stream(&r.gemm_stream);
    if let Some(floor) = r.read_floor_ms {
        println!(
            "    a kernel that only reads, chained: {floor:.4} ms with next to nothing to read"
        );
    }
    for rs in &r.read_stream {
        println!(
            "    {:<8} weights' {} bytes only read: {:.4} ms, {:.0} GB/s, {} words a workgroup (the GEMM \
             takes {:.2}×)",
            rs.gemm, rs.bytes, rs.ms, rs.gbps, rs.per_workgroup_words, rs.gemm_over_read
        );
    }
    println!(
        "router kernels (ms per dispatch): {:?}",
        r.router_variants_ms
    );
    if let Some(st) = &r.stack {
        println!(
            "stack of {} layers in one submit: {:.4} ms GPU ({:.4} per layer), {:.4} ms wall ({:.4} per layer)",
            st.layers, st.gpu_ms, st.gpu_ms_per_layer, st.wall_ms, st.wall_ms_per_layer
        );
    }
    println!(
        "expert stages: expert-centric {}, token-centric {:.4} ms; {} experts touched, minimum \
         traffic {:.1} MB",
        r.expert_centric_ms
            .map_or("not run".into(), |m| format!("{m:.4} ms")),
        r.token_centric_ms,
        r.touched_experts,
        r.expert_min_mbytes
    );
    if !r.output_digest.is_empty() {
        println!("output bits' FNV-1a: {}", r.output_digest);
    }
    for p in &r.sweep {
        print_point(p);
    }
}

fn print_point(p: &Point) {
    match &p.error {
        None => println!(
            "  T={:<6} N={:<8} layer {:.4} ms GPU, {:.4} ms wall ({:.4} polling), {:.4} ms staged, \
             weights {:.0} GB/s; experts: centric {:.4} ms, token-centric {:.4} ms",
            p.tokens,
            p.experts,
            p.layer_ms.unwrap_or(f64::NAN),
            p.layer_wall_ms.unwrap_or(f64::NAN),
            p.layer_wall_spin_ms.unwrap_or(f64::NAN),
            p.layer_staged_ms.unwrap_or(f64::NAN),
            p.weight_gbps.unwrap_or(f64::NAN),
            p.expert_centric_ms.unwrap_or(f64::NAN),
            p.token_centric_ms.unwrap_or(f64::NAN)
        ),
        Some(e) => println!("  T={:<6} N={:<8} not run: {e}", p.tokens, p.experts),
    }
    print_gemm_stream(&p.gemm_stream);
    if let Some(st) = &p.stack {
        println!(
            "    stack of {} layers: {:.4} ms GPU per layer, {:.4} ms wall per layer",
            st.layers, st.gpu_ms_per_layer, st.wall_ms_per_layer
        );
    }
}

/// Each GEMM timed alone on weights from device memory.
fn print_gemm_stream(gemms: &[GemmStream]) {
    for g in gemms {
        println!(
            "    {:<8} alone, weights from memory: {:.4} ms, {:.0} GB/s ({}, {} K ranges)",
            g.gemm, g.ms, g.weight_gbps, g.kernel, g.splits
        );
    }
}
