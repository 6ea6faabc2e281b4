//! The JSON `omnimoe bench` writes: the report of one configuration, its sweep points (also read back by
//! `--replot`), per-stage figures and a stack of layers.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Serialize, Clone)]
pub(super) struct Stage {
    pub(super) name: String,
    pub(super) ms: f64,
    pub(super) gflop: f64,
    pub(super) mbytes: f64,
    pub(super) tflops: f64,
    pub(super) gbps: f64,
}

#[derive(Serialize, serde::Deserialize, Clone, Default)]
pub(super) struct Point {
    pub(super) tokens: usize,
    pub(super) experts: usize,
    /// GPU ms of a prepared forward (token-centric), one compute pass.
    pub(super) layer_ms: Option<f64>,
    /// Wall ms of a prepared forward: one submit and wait, output left on the GPU.
    pub(super) layer_wall_ms: Option<f64>,
    /// The same with the host polling for completion (`buffers::wait_spin`) instead of sleeping.
    pub(super) layer_wall_spin_ms: Option<f64>,
    /// Host ms to encode the forward (ahead, while the previous one runs: not in the wall times since the
    /// twenty-first session), and to submit it.
    pub(super) host_encode_ms: Option<f64>,
    pub(super) host_submit_ms: Option<f64>,
    /// Wall ms of an empty command buffer submitted and waited for, sleeping and polling: the floor under
    /// the wall times (absent from sweeps before the eighth session).
    #[serde(default)]
    pub(super) empty_submit_ms: Option<f64>,
    #[serde(default)]
    pub(super) empty_submit_spin_ms: Option<f64>,
    /// GPU ms with a timed pass per stage (their sum plus the pass boundaries).
    pub(super) layer_staged_ms: Option<f64>,
    /// Weight bytes a forward must read (dense weights, touched experts' rows) over `layer_ms`.
    pub(super) weight_gbps: Option<f64>,
    pub(super) expert_centric_ms: Option<f64>,
    pub(super) token_centric_ms: Option<f64>,
    /// Per-stage GPU ms of the default (token-centric) layer at this point.
    pub(super) stages: BTreeMap<String, f64>,
    /// Token sweeps up to 256 tokens: the layer's GEMMs timed alone on weights from device memory
    /// (absent from sweeps before the tenth session).
    #[serde(default)]
    pub(super) gemm_stream: Vec<super::measure::GemmStream>,
    /// `--layers L` in a token sweep: a stack of L layers at this point (absent before the twelfth
    /// session).
    #[serde(default)]
    pub(super) stack: Option<StackReport>,
    pub(super) error: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Report {
    pub(super) adapter: String,
    pub(super) backend: String,
    pub(super) driver: String,
    pub(super) device_type: String,
    pub(super) unix_time: u64,
    /// The CPUs the bench's process may run on (Linux's `Cpus_allowed_list`; absent elsewhere and before
    /// the twenty-first session): its wall times depend on whether the waiting thread shares a CPU with
    /// the GPU's interrupts (BENCHMARKS.md, "The wall's floor").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cpus_allowed: Option<String>,
    pub(super) timestamps: bool,
    pub(super) config: BTreeMap<&'static str, serde_json::Value>,
    pub(super) runs: usize,
    /// The layer as `ExpertSchedule::Auto` runs it (token-centric), prepared: GPU ms of the forward as one
    /// compute pass.
    pub(super) layer_ms: f64,
    /// Wall ms of that prepared forward: one submit and wait, output left on the GPU.
    pub(super) layer_wall_ms: f64,
    /// The same with the host polling for completion (`buffers::wait_spin`) instead of sleeping.
    pub(super) layer_wall_spin_ms: f64,
    /// Host ms to encode the forward (ahead, while the previous one runs: not in the wall times since the
    /// twenty-first session), and to submit it.
    pub(super) host_encode_ms: f64,
    pub(super) host_submit_ms: f64,
    /// Wall ms of an empty command buffer submitted and waited for, sleeping and polling: the floor under
    /// the wall times.
    pub(super) empty_submit_ms: f64,
    pub(super) empty_submit_spin_ms: f64,
    /// GPU ms with a timed pass per stage (what `stages` sums), as earlier versions reported `layer_ms`.
    pub(super) layer_staged_ms: f64,
    /// Wall ms of the unprepared `forward` (recording, bind groups and parameters built per call).
    pub(super) layer_unprepared_wall_ms: f64,
    /// Weight bytes a forward must read over `layer_ms`.
    pub(super) weight_gbps: f64,
    /// The expert-centric layer (null beyond its N ≤ 2^20).
    pub(super) expert_centric_layer_ms: Option<f64>,
    pub(super) stages: BTreeMap<String, f64>,
    pub(super) expert_centric_stages: BTreeMap<String, f64>,
    pub(super) stage_details: Vec<Stage>,
    pub(super) expert_centric_ms: Option<f64>,
    pub(super) token_centric_ms: f64,
    pub(super) speedup_vs_token_centric: Option<f64>,
    pub(super) touched_experts: usize,
    /// FNV-1a of the token-centric layer's output bits (absent before the twenty-fifth session).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) output_digest: String,
    pub(super) expert_min_mbytes: f64,
    /// GEMM K step chosen per shape, with each candidate's ms.
    pub(super) gemm_tuning: Vec<serde_json::Value>,
    /// Up to 256 tokens: the layer's GEMMs timed alone on weights from device memory, as each point of
    /// a token sweep has them (absent before the twenty-second session).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) gemm_stream: Vec<super::measure::GemmStream>,
    /// With `gemm_stream`: a kernel that only reads, timed as the GEMMs are on a tiny buffer (the floor
    /// of a dependent dispatch, ms) and on each GEMM's weights' bytes (the ceiling under the GEMM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) read_floor_ms: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) read_stream: Vec<super::read_stream::ReadStream>,
    pub(super) sweep: Vec<Point>,
    /// `--layers L`: a stack of L layers in one submit (distinct weights since the twelfth session; copies
    /// of one layer before).
    pub(super) stack: Option<StackReport>,
    /// The router's kernels alone at T tokens (ms per dispatch, back to back): fused normalise + top-k
    /// by rank with tree or flat reductions, top-k by rank or by bitonic sorts alone, normalise alone.
    pub(super) router_variants_ms: BTreeMap<String, f64>,
}

#[derive(Serialize, serde::Deserialize, Clone)]
pub(super) struct StackReport {
    pub(super) layers: usize,
    pub(super) gpu_ms: f64,
    pub(super) wall_ms: f64,
    pub(super) gpu_ms_per_layer: f64,
    pub(super) wall_ms_per_layer: f64,
}
