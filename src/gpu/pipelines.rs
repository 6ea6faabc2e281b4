//! Shader sources, per-target preprocessing, and the pipeline cache.
//!
//! Each `shaders/<stage>.wgsl` is embedded with `include_str!`. Preprocessing makes the variants of one file:
//! - a header: `enable f16;` when a variant stores f16, `enable subgroups;` when a variant uses subgroups
//!   and the browser compiles the shader (naga rejects that directive, browsers require it);
//! - `alias elem = f16;` or `f32` (storage type of activations and weights) and `alias out_elem` likewise
//!   (storage type of a GEMM's output);
//! - `#import NAME`: the text of `shaders/shared/NAME.wgsl` in its place (code several stages share);
//! - line conditionals `#if FLAG` / `#else` / `#endif` (nestable) on the variant's flags.
//!
//! Numeric constants go through pipeline-overridable constants. A pipeline is built once per
//! (stage, entry point, variant, constants) and cached in the context.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// The WGSL source of each stage, by file name.
pub const SHADERS: &[(&str, &str)] = &[
    ("gemm", include_str!("../../shaders/gemm.wgsl")),
    ("gemm_coop", include_str!("../../shaders/gemm_coop.wgsl")),
    ("gemv", include_str!("../../shaders/gemv.wgsl")),
    (
        "gemm_reduce",
        include_str!("../../shaders/gemm_reduce.wgsl"),
    ),
    (
        "router_normalise",
        include_str!("../../shaders/router_normalise.wgsl"),
    ),
    (
        "router_topk",
        include_str!("../../shaders/router_topk.wgsl"),
    ),
    (
        "expert_histogram",
        include_str!("../../shaders/expert_histogram.wgsl"),
    ),
    (
        "expert_scan",
        include_str!("../../shaders/expert_scan.wgsl"),
    ),
    (
        "expert_scatter",
        include_str!("../../shaders/expert_scatter.wgsl"),
    ),
    (
        "expert_scores",
        include_str!("../../shaders/expert_scores.wgsl"),
    ),
    (
        "expert_combine",
        include_str!("../../shaders/expert_combine.wgsl"),
    ),
    (
        "expert_token",
        include_str!("../../shaders/expert_token.wgsl"),
    ),
];

/// WGSL that several stages pull in with `#import NAME`.
pub const SHARED: &[(&str, &str)] = &[
    (
        "gemm_epilogue",
        include_str!("../../shaders/shared/gemm_epilogue.wgsl"),
    ),
    (
        "expert_dot",
        include_str!("../../shaders/shared/expert_dot.wgsl"),
    ),
];

/// The source of a stage; panics on an unknown name (a bug, not an input).
pub fn source(stage: &str) -> &'static str {
    SHADERS
        .iter()
        .find(|(n, _)| *n == stage)
        .unwrap_or_else(|| panic!("no shader named {stage}"))
        .1
}

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

    /// Sets an overridable constant.
    pub fn constant(mut self, name: &'static str, value: u32) -> Self {
        self.constants.push((name, value));
        self
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

/// Stages whose indexing is checked in the shader itself, so wgpu's runtime bounds checks can go.
const TRUSTED: &[&str] = &["gemm", "gemm_coop", "gemv"];

/// Replaces each `#import NAME` line with the shared source of that name (one level: shared files do not
/// import).
fn expand_imports(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.lines() {
        match line.trim().strip_prefix("#import ") {
            Some(name) => {
                let shared = SHARED
                    .iter()
                    .find(|(n, _)| *n == name.trim())
                    .unwrap_or_else(|| panic!("no shared shader named {name}"));
                out.push_str(shared.1);
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
    let code = preprocess(source(stage), variant);
    let desc = wgpu::ShaderModuleDescriptor {
        label: Some(stage),
        source: wgpu::ShaderSource::Wgsl(code.into()),
    };
    let module = if TRUSTED.contains(&stage) && !cfg!(target_arch = "wasm32") {
        // SAFETY: the stages in TRUSTED index their buffers only inside bounds they check
        // themselves against sizes the host binds exactly (see each shader).
        unsafe { device.create_shader_module_trusted(desc, wgpu::ShaderRuntimeChecks::unchecked()) }
    } else {
        device.create_shader_module(desc)
    };
    let constants: Vec<(&str, f64)> = variant
        .constants
        .iter()
        .map(|&(n, v)| (n, v as f64))
        .collect();
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

/// Every (stage, entry point, variant) the layer can build, for f32 and f16 storage, with every value its
/// pipeline constants take; `naga` validates each in the tests.
pub fn all_variants() -> Vec<(&'static str, &'static str, Variant)> {
    let mut out = Vec::new();
    let with_flags = |v: Variant, flags: &[&'static str]| flags.iter().fold(v, |v, f| v.with(f));
    for f16 in [false, true] {
        // The SIMT GEMM: every epilogue, with and without vec4 fetches and double buffering, both K steps.
        for flags in [&[][..], &["VEC4"][..], &["DB"][..], &["VEC4", "DB"][..]] {
            for tk in [8, 16] {
                let v = || with_flags(Variant::storage(f16).constant("TK", tk), flags);
                out.push(("gemm", "main", v()));
                out.push(("gemm", "main", v().with("SPLITK")));
                out.push(("gemm", "main", v().with("ADD")));
                out.push((
                    "gemm",
                    "main",
                    Variant {
                        out_f16: f16,
                        ..v().with("ADD")
                    },
                ));
                for router in [&[][..], &["ROUTER"][..]] {
                    let swiglu = with_flags(v().with("SWIGLU"), router);
                    out.push((
                        "gemm",
                        "main",
                        Variant {
                            out_f16: f16,
                            ..swiglu
                        },
                    ));
                }
            }
        }
        // The split-K reduction: every epilogue.
        let r = || Variant::storage(f16);
        out.push(("gemm_reduce", "main", r()));
        out.push(("gemm_reduce", "main", r().with("ADD")));
        out.push((
            "gemm_reduce",
            "main",
            Variant {
                out_f16: f16,
                ..r().with("ADD")
            },
        ));
        for router in [&[][..], &["ROUTER"][..]] {
            out.push((
                "gemm_reduce",
                "main",
                Variant {
                    out_f16: f16,
                    ..with_flags(r().with("SWIGLU"), router)
                },
            ));
        }
        // The decode GEMV: every epilogue, with scalar, vec4 and (f16) 16-byte fetches.
        let fetches: &[&[&'static str]] = if f16 {
            &[&[], &["VEC4"], &["VEC8"]]
        } else {
            &[&[], &["VEC4"]]
        };
        for &vec4 in fetches {
            let v = || with_flags(Variant::storage(f16), vec4);
            out.push(("gemv", "main", v()));
            out.push(("gemv", "main", v().with("ADD")));
            out.push((
                "gemv",
                "main",
                Variant {
                    out_f16: f16,
                    ..v().with("ADD")
                },
            ));
            for router in [&[][..], &["ROUTER"][..]] {
                let swiglu = with_flags(v().with("SWIGLU"), router);
                out.push((
                    "gemv",
                    "main",
                    Variant {
                        out_f16: f16,
                        ..swiglu
                    },
                ));
            }
        }
        for vec4 in [&[][..], &["VEC4"][..]] {
            let v = || with_flags(Variant::storage(f16), vec4);
            out.push((
                "expert_scores",
                "expert_centric",
                v().with("EXPERT_CENTRIC"),
            ));
            out.push(("expert_scores", "token_centric", v()));
            out.push(("expert_combine", "main", v()));
            out.push(("expert_token", "main", v()));
        }
    }
    // The tensor-core GEMM: every epilogue, every configuration the autotune tries.
    let coop = crate::gpu::stages::GemmKernel::Coop(crate::gpu::stages::CoopConfig::DEFAULT);
    for kernel in coop.candidates(u32::MAX) {
        let crate::gpu::stages::GemmKernel::Coop(config) = kernel else {
            unreachable!("coop candidates are coop kernels")
        };
        let coop = || config.variant();
        let direct = |v: Variant| if config.direct { v.with("DIRECT") } else { v };
        out.push(("gemm_coop", "main", direct(coop())));
        out.push(("gemm_coop", "main", direct(coop()).with("SPLITK")));
        out.push(("gemm_coop", "main", direct(coop().with("ADD"))));
        out.push((
            "gemm_coop",
            "main",
            Variant {
                out_f16: true,
                ..coop().with("ADD")
            },
        ));
        for router in [&[][..], &["ROUTER"][..]] {
            let swiglu = with_flags(coop().with("SWIGLU"), router);
            out.push((
                "gemm_coop",
                "main",
                Variant {
                    out_f16: true,
                    ..swiglu
                },
            ));
        }
    }
    let v = Variant::default;
    for wg in [32, 64, 128, 256] {
        out.push(("router_normalise", "main", v().constant("WG", wg)));
        out.push(("router_topk", "main", v().constant("WG", wg)));
    }
    out.push(("router_topk", "by_rank", v()));
    out.push(("router_topk", "by_rank", v().with("NORMALISE")));
    out.push(("router_topk", "by_rank", v().with("NORMALISE").with("FLAT")));
    out.push(("expert_histogram", "clear", v()));
    out.push(("expert_histogram", "main", v().with("COUNT")));
    out.push(("expert_histogram", "clear", v().with("COUNT")));
    out.push(("expert_scan", "scan_blocks", v().with("BLOCKS")));
    out.push(("expert_scan", "scan_sums", v()));
    out.push(("expert_scan", "add_offsets", v()));
    out.push(("expert_scatter", "count", v()));
    out.push((
        "expert_scatter",
        "scatter",
        v().with("SCATTER").with("FIRST"),
    ));
    out.push(("expert_scatter", "scatter", v().with("SCATTER")));
    out
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
