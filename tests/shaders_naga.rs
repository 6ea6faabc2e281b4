//! Every shader variant the layer can build parses, validates and translates to SPIR-V, MSL (Metal) and
//! HLSL (DX12) with naga, and compiles where Metal's or DirectX's shader compiler is installed.

use omnimoe::gpu::pipelines::{preprocess, source, Variant};
use omnimoe::gpu::variants::all_variants;

#[test]
fn every_shader_variant_validates_and_translates_in_naga() {
    let variants = all_variants();
    assert!(variants.len() > 20);
    // The skinny kernel's two-steps-in-flight loop is among them (its builds reach it by range depth).
    assert!(variants
        .iter()
        .any(|(stage, _, v)| *stage == "gemm_skinny" && v.flags.contains("AHEAD2")));
    let (mut msl_sources, mut hlsl_sources) = (Vec::new(), Vec::new());
    let mut coop_skipped_for_hlsl = 0;
    for (stage, entry, variant) in variants {
        let (module, info) = processed(stage, entry, &variant);
        if variant.flags.contains("COOP") {
            fragment_arrays_whole_16_bytes(stage, &variant, &module);
        }
        let options = naga::back::spv::Options::default();
        let pipeline = naga::back::spv::PipelineOptions {
            shader_stage: naga::ShaderStage::Compute,
            entry_point: entry.to_string(),
        };
        naga::back::spv::write_vec(&module, &info, &options, Some(&pipeline))
            .unwrap_or_else(|e| panic!("{stage} {variant:?}: SPIR-V: {e}"));
        let msl = translate_msl(&module, &info, entry)
            .unwrap_or_else(|e| panic!("{stage} {variant:?}: MSL: {e}"));
        msl_sources.push((format!("{stage}-{}", msl_sources.len()), msl));
        if variant.flags.contains("COOP") {
            // wgpu offers cooperative matrices on Vulkan and Metal only, and naga's HLSL writer has none:
            // the layer never builds these variants for DX12.
            coop_skipped_for_hlsl += 1;
            continue;
        }
        let hlsl = translate_hlsl(&module, &info, entry)
            .unwrap_or_else(|e| panic!("{stage} {variant:?}: HLSL: {e}"));
        hlsl_sources.push((
            format!("{stage}-{}", hlsl_sources.len()),
            entry.to_string(),
            hlsl,
        ));
    }
    assert!(msl_sources.len() > 100 && hlsl_sources.len() > 50);
    eprintln!(
        "translated {} variants to MSL and {} to HLSL ({} cooperative-matrix variants are Vulkan/Metal only)",
        msl_sources.len(),
        hlsl_sources.len(),
        coop_skipped_for_hlsl
    );
    compile_with_external_tools(&msl_sources, &hlsl_sources);
}

/// Every workgroup array of a cooperative-matrix variant is a whole number of 16-byte units. NVIDIA's Vulkan
/// driver (580, H100) loads fragments from workgroup memory as if the array began 16-byte aligned: with a
/// 4-byte array declared beside them, a kernel's fragments of A were read 4 bytes early (BENCHMARKS.md,
/// thirty-first session, run371–373).
fn fragment_arrays_whole_16_bytes(stage: &str, variant: &Variant, module: &naga::Module) {
    for (name, size) in workgroup_arrays(module) {
        assert!(
            size.is_multiple_of(16),
            "{stage} {variant:?}: workgroup array {name:?} of {size} bytes"
        );
    }
}

/// Each workgroup-memory global of `module`: its name and size in bytes.
fn workgroup_arrays(module: &naga::Module) -> impl Iterator<Item = (Option<&str>, u32)> {
    module
        .global_variables
        .iter()
        .filter(|(_, g)| g.space == naga::AddressSpace::WorkGroup)
        .map(|(_, g)| {
            let size = module.types[g.ty].inner.size(module.to_ctx());
            (g.name.as_deref(), size)
        })
}

/// `stage`'s WGSL preprocessed for `variant`, parsed, validated (with entry point `entry`) and with the
/// variant's pipeline constants applied, as wgpu builds it.
fn processed(
    stage: &str,
    entry: &str,
    variant: &Variant,
) -> (naga::Module, naga::valid::ModuleInfo) {
    let code = preprocess(source(stage), variant);
    let module = naga::front::wgsl::parse_str(&code).unwrap_or_else(|e| {
        panic!("{stage} {variant:?}: {}", e.emit_to_string(&code));
    });
    assert!(
        module.entry_points.iter().any(|e| e.name == entry),
        "{stage} {variant:?}: no entry point {entry}"
    );
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{stage} {variant:?}: {}", e.emit_to_string(&code)));
    let mut constants = naga::back::PipelineConstants::default();
    for (name, value) in &variant.constants {
        constants.insert(name.to_string(), *value as f64);
    }
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        &module,
        &info,
        Some((naga::ShaderStage::Compute, entry)),
        &constants,
    )
    .unwrap_or_else(|e| panic!("{stage} {variant:?}: overrides: {e}"));
    (module.into_owned(), info.into_owned())
}

/// The workgroup memory `shaders/gemm.wgsl` declares for each K step, single and double buffered (its
/// arrays are sized by the K step's override), is what the autotune assumes when it leaves out the
/// configurations an adapter's limit cannot hold.
#[test]
fn simt_gemm_declares_the_workgroup_memory_the_host_assumes() {
    use omnimoe::gpu::stages::simt_workgroup_bytes;
    for k_step in [8, 16] {
        for double_buffer in [false, true] {
            let mut variant = Variant::storage(false).with("VEC4").constant("TK", k_step);
            if double_buffer {
                variant = variant.with("DB");
            }
            let (module, _) = processed("gemm", "main", &variant);
            let declared: u32 = workgroup_arrays(&module).map(|(_, size)| size).sum();
            assert_eq!(
                declared,
                simt_workgroup_bytes(k_step, double_buffer),
                "K step {k_step}, double buffered {double_buffer}"
            );
        }
    }
}

/// The GEMV's QUAD build declares the workgroup memory the host holds against the device's limit
/// (`GEMV_QUAD_WORKGROUP_BYTES`: two blocks of lane sums at a time); its other builds stay within WebGPU's
/// least limit, 16384 bytes, which every device offers.
#[test]
fn gemv_declares_the_workgroup_memory_the_host_assumes() {
    use omnimoe::gpu::stages::GEMV_QUAD_WORKGROUP_BYTES;
    let declared = |variant: &Variant| -> u32 {
        let (module, _) = processed("gemv", "main", variant);
        workgroup_arrays(&module).map(|(_, size)| size).sum()
    };
    let base = Variant::storage(true)
        .with("VEC8")
        .with("FMA")
        .constant("ROWS", 8)
        .constant("LANES", 16);
    let pair = base.clone().with("PAIR").constant("PAIR_ROUND", 1);
    let quad = pair.clone().with("QUAD").constant("QUAD_ROUND", 2);
    assert_eq!(declared(&quad), GEMV_QUAD_WORKGROUP_BYTES);
    assert_eq!(declared(&quad.with("SLABS")), GEMV_QUAD_WORKGROUP_BYTES);
    for variant in [base, pair] {
        let bytes = declared(&variant);
        assert!(bytes <= 16384, "{variant:?}: {bytes} bytes");
    }
}

/// Compiles the translations where Apple's Metal compiler (`xcrun metal`) or the DirectX Shader Compiler
/// (`dxc`) is on this machine; says why not where one is missing (only these may be skipped).
fn compile_with_external_tools(msl: &[(String, String)], hlsl: &[(String, String, String)]) {
    let dir = std::env::temp_dir().join(format!("omnimoe-xlate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let have = |cmd: &str, arg: &str| {
        std::process::Command::new(cmd)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    // Writes `src` to `name.ext` and runs `tool args… path`, asserting it succeeds.
    let compile = |name: &str, ext: &str, src: &str, tool: &str, args: &[&str]| {
        let path = dir.join(format!("{name}.{ext}"));
        std::fs::write(&path, src).unwrap();
        let out = std::process::Command::new(tool)
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {stderr}");
    };
    if have("xcrun", "--find") && have("xcrun", "metal") {
        for (name, src) in msl {
            let air = dir.join(format!("{name}.air"));
            let args = ["metal", "-c", "-o", air.to_str().unwrap()];
            compile(name, "metal", src, "xcrun", &args);
        }
    } else {
        eprintln!("MSL not compiled: no Metal compiler (`xcrun metal`) on this machine");
    }
    if have("dxc", "--version") {
        for (name, entry, src) in hlsl {
            let args = ["-T", "cs_6_2", "-E", entry, "-enable-16bit-types"];
            compile(name, "hlsl", src, "dxc", &args);
        }
    } else {
        eprintln!("HLSL not compiled: no DirectX Shader Compiler (`dxc`) on this machine");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn translate_msl(
    module: &naga::Module,
    info: &naga::valid::ModuleInfo,
    entry: &str,
) -> Result<String, String> {
    let options = naga::back::msl::Options {
        lang_version: (2, 4),
        ..Default::default()
    };
    let pipeline = naga::back::msl::PipelineOptions {
        entry_point: Some((naga::ShaderStage::Compute, entry.to_string())),
        ..Default::default()
    };
    naga::back::msl::write_string(module, info, &options, &pipeline)
        .map(|(s, _)| s)
        .map_err(|e| e.to_string())
}

fn translate_hlsl(
    module: &naga::Module,
    info: &naga::valid::ModuleInfo,
    entry: &str,
) -> Result<String, String> {
    let options = naga::back::hlsl::Options {
        shader_model: naga::back::hlsl::ShaderModel::V6_2,
        ..Default::default()
    };
    let pipeline = naga::back::hlsl::PipelineOptions {
        entry_point: Some((naga::ShaderStage::Compute, entry.to_string())),
    };
    let mut out = String::new();
    let mut writer = naga::back::hlsl::Writer::new(&mut out, &options, &pipeline);
    writer
        .write(module, info, None)
        .map_err(|e| e.to_string())?;
    Ok(out)
}
