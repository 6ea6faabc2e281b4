//! omnimoe in the browser: [`run_demo`] runs one OmniMoE layer on the page's WebGPU adapter, checks it
//! against the CPU reference compiled to WebAssembly, and returns what the demo page shows (adapter,
//! features, per-stage and whole-layer times, max error, expert load over the R×R grid, per-token choices).

use omnimoe::gpu::{Context, LayerOptions, OmniMoeLayer};
use omnimoe::io::TensorFile;
use omnimoe::rng::SplitMix64;
use omnimoe::{cpu, LoadOptions, OmniMoeConfig, OmniMoeWeights};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

/// Error bound of the demo's check: |gpu − cpu| ≤ ABS + REL·|cpu| on every output element.
pub const ABS: f32 = 1e-4;
/// See [`ABS`].
pub const REL: f32 = 1e-3;

/// What the page asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoOptions {
    /// T.
    pub tokens: usize,
    /// H, I, N, K of a random layer (ignored when a file is given).
    pub config: OmniMoeConfig,
    /// Seed of the random layer and input.
    pub seed: u64,
}

impl DemoOptions {
    fn from_json(v: &Value) -> Result<Self, String> {
        let n = |k: &str, d: u64| v.get(k).and_then(Value::as_u64).unwrap_or(d) as usize;
        let config = OmniMoeConfig::new(
            n("hidden", 64),
            n("intermediate", 128),
            n("experts", 1024),
            n("top_k", 8),
        )
        .map_err(|e| e.to_string())?;
        Ok(DemoOptions {
            tokens: n("tokens", 64),
            config,
            seed: n("seed", 0) as u64,
        })
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Runs the demo; `file` is a safetensors layer (its `input` tensor is used when present).
pub async fn run(options: &DemoOptions, file: Option<&[u8]>) -> Result<Value, String> {
    let (weights, x) = match file {
        Some(bytes) => {
            let f = TensorFile::parse(bytes).map_err(|e| e.to_string())?;
            let opts = LoadOptions {
                experts_per_token: Some(options.config.num_experts_per_token)
                    .filter(|_| f.metadata().is_empty()),
                ..Default::default()
            };
            let w = OmniMoeWeights::from_file(&f, &opts).map_err(|e| e.to_string())?;
            let h = w.config.hidden_size;
            let x = match f.tokens("input", h) {
                Ok((_, x)) => x,
                Err(_) => SplitMix64::new(options.seed).normals(options.tokens * h),
            };
            (w, x)
        }
        None => {
            let w =
                OmniMoeWeights::random(options.config, options.seed).map_err(|e| e.to_string())?;
            let x = SplitMix64::new(options.seed ^ 0x5eed)
                .normals(options.tokens * options.config.hidden_size);
            (w, x)
        }
    };
    let c = weights.config;
    let ctx = Context::new().await.map_err(|e| e.to_string())?;
    let layer =
        OmniMoeLayer::new(&ctx, &weights, &LayerOptions::default()).map_err(|e| e.to_string())?;
    let (t, input) = layer.upload_input(&x).map_err(|e| e.to_string())?;
    let out = layer.outputs(t);
    // The first forward builds the pipelines; the second is timed.
    layer
        .forward(&input, &out, false)
        .await
        .map_err(|e| e.to_string())?;
    layer.read(&out).await.map_err(|e| e.to_string())?;
    let start = now_ms();
    let times = layer
        .forward(&input, &out, true)
        .await
        .map_err(|e| e.to_string())?;
    let result = layer.read(&out).await.map_err(|e| e.to_string())?;
    let wall_ms = now_ms() - start;
    let (stages, layer_ms) = match times {
        Some(t) => {
            let (passes, span) = t.read(&ctx).await.map_err(|e| e.to_string())?;
            (
                passes
                    .iter()
                    .map(|(l, ms)| json!([l, ms]))
                    .collect::<Vec<_>>(),
                span,
            )
        }
        None => (Vec::new(), wall_ms),
    };

    let start = now_ms();
    let reference = cpu::forward(&weights, &x).map_err(|e| e.to_string())?;
    let cpu_ms = now_ms() - start;
    let mut max_abs_error = 0.0f32;
    let mut ok = result.output.len() == reference.output.len();
    for (g, r) in result.output.iter().zip(&reference.output) {
        let err = (g - r).abs();
        max_abs_error = max_abs_error.max(err);
        ok &= err <= ABS + REL * r.abs();
    }
    let r = c.grid();
    let mut load = vec![0u32; r * r];
    for &e in &result.indices {
        load[e as usize] += 1;
    }
    let caps = &ctx.caps;
    Ok(json!({
        "ok": ok,
        "maxAbsError": max_abs_error,
        "adapter": adapter_name(&ctx.info),
        "features": {
            "shader_f16": caps.shader_f16,
            "subgroup": caps.subgroup,
            "subgroup_sizes": [caps.subgroup_sizes.0, caps.subgroup_sizes.1],
            "timestamp_query": caps.timestamp_query,
            "cooperative_matrix": caps.cooperative_matrix,
        },
        "config": {
            "tokens": t, "hidden": c.hidden_size, "intermediate": c.intermediate_size,
            "experts": c.num_experts, "top_k": c.num_experts_per_token, "grid": r,
        },
        "layerMs": layer_ms,
        "wallMs": wall_ms,
        "cpuMs": cpu_ms,
        "stages": stages,
        "load": load,
        "indices": result.indices,
        "scores": result.scores,
    }))
}

/// A readable adapter name: browsers often hide the name, then the vendor and driver strings stand in.
fn adapter_name(info: &wgpu::AdapterInfo) -> String {
    let parts: Vec<&str> = [
        info.name.as_str(),
        info.driver.as_str(),
        info.driver_info.as_str(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect();
    if parts.is_empty() {
        format!(
            "browser WebGPU adapter (name not disclosed; {:?})",
            info.device_type
        )
    } else {
        format!("{} (browser WebGPU)", parts.join(", "))
    }
}

/// The page's entry point: `options` is JSON (`tokens`, `hidden`, `intermediate`, `experts`, `top_k`,
/// `seed`), `file` an optional safetensors layer. Resolves to the result as JSON, or rejects with a message.
#[wasm_bindgen]
pub async fn run_demo(options: String, file: Option<Vec<u8>>) -> Result<String, JsValue> {
    let v: Value = serde_json::from_str(&options).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let options = DemoOptions::from_json(&v).map_err(|e| JsValue::from_str(&e))?;
    let result = run(&options, file.as_deref())
        .await
        .map_err(|e| JsValue::from_str(&e))?;
    Ok(result.to_string())
}
