//! Shader sources, per-target preprocessing, and the pipeline cache.
//!
//! Each `shaders/<stage>.wgsl` is embedded with `include_str!`. Preprocessing makes the variants of one file:
//! - a header: `enable f16;` when a variant stores f16, `enable subgroups;` when a variant uses subgroups
//!   and the browser compiles the shader (naga rejects that directive, browsers require it);
//! - `alias elem = f16;` or `f32` (storage type of activations and weights) and `alias out_elem` likewise
//!   (storage type of a GEMM's output);
//! - `#import NAME`: the text of `shaders/shared/NAME.wgsl` in its place (code several stages share), or
//!   `#import STAGE/PART` that of `shaders/STAGE/PART.wgsl` (entry points or helpers of a large stage in
//!   a file of their own);
//! - line conditionals `#if FLAG` / `#else` / `#endif` (nestable) on the variant's flags.
//!
//! Numeric constants go through pipeline-overridable constants. A pipeline is built once per
//! (stage, entry point, variant, constants) and cached in the context.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

mod sources;
pub use sources::{source, PARTS, SHADERS, SHARED};

/// One preprocessing of a shader file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Variant {
    /// Activations and weights stored as f16 (`elem = f16`).
    pub f16: bool,
    /// A GEMM's output stored as f16 (`out_elem = f16`).
    pub out_f16: bool,
    /// Emit `enable subgroups;` (browser compilers) when `SUBGROUP` is among the flags.
    pub browser: bool,
    /// Flags for `#if`: `F16`, `SUBGROUP`, and stage-specific ones.
    pub flags: BTreeSet<&'static str>,
    /// Values of pipeline-overridable constants (`override NAME: u32`).
    pub constants: Vec<(&'static str, u32)>,
}

impl Variant {
    /// The f32 or f16 variant with no flags or constants.
    pub fn storage(f16: bool) -> Self {
        Variant {
            f16,
            ..Default::default()
        }
    }

    /// Adds a flag.
    pub fn with(mut self, flag: &'static str) -> Self {
        self.flags.insert(flag);
        self
    }

    /// Removes a flag.
    pub fn without(mut self, flag: &'static str) -> Self {
        self.flags.remove(flag);
        self
    }

    /// Sets an overridable constant.
    pub fn constant(mut self, name: &'static str, value: u32) -> Self {
        self.constants.push((name, value));
        self
    }

    /// The value set for overridable constant `name`, if any.
    pub fn constant_value(&self, name: &str) -> Option<u32> {
        self.constants
            .iter()
            .find(|&&(n, _)| n == name)
            .map(|&(_, value)| value)
    }
}

/// Preprocesses `src` for `variant` (see the module docs).
pub fn preprocess(src: &str, variant: &Variant) -> String {
    let mut out = String::with_capacity(src.len() + 128);
    if variant.f16 || variant.out_f16 {
        out.push_str("enable f16;\n");
    }
    if variant.flags.contains("COOP") {
        out.push_str("enable wgpu_cooperative_matrix;\n");
    }
    if variant.browser && variant.flags.contains("SUBGROUP") {
        out.push_str("enable subgroups;\n");
    }
    let ty = |f16: bool| if f16 { "f16" } else { "f32" };
    out.push_str(&format!(
        "alias elem = {};\nalias out_elem = {};\n",
        ty(variant.f16),
        ty(variant.out_f16)
    ));
    let src = expand_imports(src);
    // Stack of (this branch is taken, some enclosing branch is not).
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let live = |s: &Vec<(bool, bool)>| s.last().is_none_or(|&(on, dead)| on && !dead);
    for line in src.lines() {
        let t = line.trim();
        if let Some(flag) = t.strip_prefix("#if ") {
            let dead = !live(&stack);
            stack.push((variant.flags.contains(flag.trim()), dead));
        } else if t == "#else" {
            let top = stack.last_mut().expect("#else without #if");
            top.0 = !top.0;
        } else if t == "#endif" {
            stack.pop().expect("#endif without #if");
        } else if live(&stack) {
            out.push_str(line);
        }
        out.push('\n');
    }
    assert!(stack.is_empty(), "unterminated #if");
    out
}

/// Stages whose indexing is checked in the shader itself, so wgpu's runtime bounds checks can go (built
/// with [`wgpu::Device::create_shader_module_trusted`] off the web).
pub const TRUSTED: &[&str] = &["gemm", "gemm_coop", "gemv", "gemm_skinny"];

/// Replaces each `#import NAME` line with the shared source of that name, its own imports replaced too
/// (shared/gemm_epilogue.wgsl and shared/expert_sum.wgsl import shared/perm_col.wgsl).
fn expand_imports(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.lines() {
        match line.trim().strip_prefix("#import ") {
            Some(name) => {
                let shared = SHARED
                    .iter()
                    .chain(PARTS)
                    .find(|(n, _)| *n == name.trim())
                    .unwrap_or_else(|| panic!("no shared shader or part named {name}"));
                // A shared file may import others in turn.
                out.push_str(&expand_imports(shared.1));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    stage: &'static str,
    entry: &'static str,
    variant: Variant,
}

/// Pipelines by (stage, entry, variant), built on first use, and which variants the driver compiles.
#[derive(Default)]
pub(crate) struct PipelineCache {
    map: Mutex<HashMap<Key, Arc<wgpu::ComputePipeline>>>,
    compiles: Mutex<HashMap<Key, bool>>,
}

impl PipelineCache {
    /// The pipeline for `entry` of `stage` in `variant` with override `constants`, built once.
    pub fn get(
        &self,
        device: &wgpu::Device,
        stage: &'static str,
        entry: &'static str,
        variant: &Variant,
    ) -> Arc<wgpu::ComputePipeline> {
        let key = Key {
            stage,
            entry,
            variant: variant.clone(),
        };
        if let Some(p) = self.map.lock().unwrap().get(&key) {
            return p.clone();
        }
        let pipeline = Arc::new(build(device, stage, entry, variant));
        self.map.lock().unwrap().insert(key, pipeline.clone());
        pipeline
    }

    /// Whether a probe found that the driver compiles this variant, if one ran.
    pub fn known(
        &self,
        stage: &'static str,
        entry: &'static str,
        variant: &Variant,
    ) -> Option<bool> {
        let key = Key {
            stage,
            entry,
            variant: variant.clone(),
        };
        if self.map.lock().unwrap().contains_key(&key) {
            return Some(true);
        }
        self.compiles.lock().unwrap().get(&key).copied()
    }

    /// Records a probe's answer.
    pub fn remember(&self, stage: &'static str, entry: &'static str, variant: &Variant, ok: bool) {
        let key = Key {
            stage,
            entry,
            variant: variant.clone(),
        };
        self.compiles.lock().unwrap().insert(key, ok);
    }
}

/// Compiles `entry` of `stage` in `variant` on `device`.
pub(crate) fn build(
    device: &wgpu::Device,
    stage: &'static str,
    entry: &'static str,
    variant: &Variant,
) -> wgpu::ComputePipeline {
    #[cfg(not(target_arch = "wasm32"))]
    if stage == "gemm_cm2" {
        return super::nv_coopmat2::pipeline(device, variant);
    }
    let code = preprocess(source(stage), variant);
    // Subgroup barriers that order workgroup memory on Vulkan (src/gpu/subgroup_barrier.rs).
    #[cfg(not(target_arch = "wasm32"))]
    let source = (super::subgroup_barrier::uses_it(&code)
        && device.adapter_info().backend == wgpu::Backend::Vulkan)
        .then(|| super::subgroup_barrier::module(&code))
        .flatten()
        .map(|m| wgpu::ShaderSource::Naga(std::borrow::Cow::Owned(m)));
    #[cfg(target_arch = "wasm32")]
    let source = None;
    let constants: Vec<(&str, f64)> = variant
        .constants
        .iter()
        .map(|&(n, v)| (n, v as f64))
        .collect();
    // The tensor-core kernels' f16 staging by bitcast where the device takes SPIR-V (spirv_halves.rs).
    #[cfg(not(target_arch = "wasm32"))]
    if super::spirv_halves::applies(device, stage) {
        let module = match &source {
            Some(wgpu::ShaderSource::Naga(m)) => Some(m.as_ref().clone()),
            _ => wgpu::naga::front::wgsl::parse_str(&code).ok(),
        };
        if let Some(p) =
            module.and_then(|m| super::spirv_halves::pipeline(device, stage, &m, entry, &constants))
        {
            return p;
        }
    }
    let desc = wgpu::ShaderModuleDescriptor {
        label: Some(stage),
        source: source.unwrap_or(wgpu::ShaderSource::Wgsl(code.into())),
    };
    let module = if TRUSTED.contains(&stage) && !cfg!(target_arch = "wasm32") {
        // SAFETY: the stages in TRUSTED index their buffers only inside bounds they check
        // themselves against sizes the host binds exactly (see each shader).
        unsafe { device.create_shader_module_trusted(desc, wgpu::ShaderRuntimeChecks::unchecked()) }
    } else {
        device.create_shader_module(desc)
    };
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: wgpu::PipelineCompilationOptions {
            constants: &constants,
            zero_initialize_workgroup_memory: false,
        },
        cache: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditionals_nest_and_keep_line_numbers() {
        let src = "a\n#if X\nb\n#if Y\nc\n#else\nd\n#endif\n#else\ne\n#endif\nf";
        let on = preprocess(src, &Variant::default().with("X"));
        let body: Vec<&str> = on.lines().skip(2).collect();
        assert_eq!(body, ["a", "", "b", "", "", "", "d", "", "", "", "", "f"]);
        let off = preprocess(src, &Variant::default().with("Y"));
        let kept: Vec<&str> = off.lines().skip(2).filter(|l| !l.is_empty()).collect();
        assert_eq!(kept, ["a", "e", "f"]);
        let f16 = preprocess("x", &Variant::storage(true));
        assert!(f16.starts_with("enable f16;\nalias elem = f16;"));
        let browser = Variant {
            browser: true,
            ..Variant::default().with("SUBGROUP")
        };
        assert!(preprocess("x", &browser).starts_with("enable subgroups;"));
    }

    #[test]
    fn imports_are_expanded_then_conditioned() {
        let plain = preprocess("#import gemm_epilogue", &Variant::default());
        assert!(
            plain.contains("fn store(")
                && !plain.contains("binding(4)")
                && !plain.contains("#import")
        );
        let add = preprocess("#import gemm_epilogue", &Variant::default().with("ADD"));
        assert!(add.contains("@group(0) @binding(4) var<storage, read> d"));
    }
}
