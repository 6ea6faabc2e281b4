//! Probe helper (ninth session): gemm_coop's WGSL builds as naga writes them for wgpu's trusted path
//! (no bounds checks, no loop bounding, no division checks), written out as SPIR-V:
//! `naga_spv OUT_DIR`.
use omnimoe::gpu::pipelines::{preprocess, source, Variant};

fn main() {
    let dir = std::env::args().nth(1).expect("OUT_DIR");
    std::fs::create_dir_all(&dir).unwrap();
    let builds: [(&str, &[&'static str]); 3] = [
        ("naga_512_256_128_32", &["SG16"]),
        ("naga_256_128_128_64", &["TK64"]),
        ("naga_256_128_128_32", &[]),
    ];
    for (name, flags) in builds {
        let mut v = Variant::storage(true)
            .with("COOP")
            .with("SUBGROUP")
            .with("SMEM2")
            .with("DIRECT");
        for f in flags {
            v = v.with(f);
        }
        let code = preprocess(source("gemm_coop"), &v);
        let module = naga::front::wgsl::parse_str(&code).unwrap();
        let info = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        )
        .validate(&module)
        .unwrap();
        let (module, info) = naga::back::pipeline_constants::process_overrides(
            &module,
            &info,
            Some((naga::ShaderStage::Compute, "main")),
            &Default::default(),
        )
        .unwrap();
        let options = naga::back::spv::Options {
            lang_version: (1, 6),
            bounds_check_policies: naga::proc::BoundsCheckPolicies {
                index: naga::proc::BoundsCheckPolicy::Unchecked,
                buffer: naga::proc::BoundsCheckPolicy::Unchecked,
                image_load: naga::proc::BoundsCheckPolicy::Unchecked,
                binding_array: naga::proc::BoundsCheckPolicy::Unchecked,
            },
            zero_initialize_workgroup_memory: naga::back::spv::ZeroInitializeWorkgroupMemoryMode::None,
            force_loop_bounding: false,
            emit_int_div_checks: false,
            ..Default::default()
        };
        let pipeline = naga::back::spv::PipelineOptions {
            shader_stage: naga::ShaderStage::Compute,
            entry_point: "main".into(),
        };
        let words = naga::back::spv::write_vec(&module, &info, &options, Some(&pipeline)).unwrap();
        std::fs::write(format!("{dir}/{name}.spv"), bytemuck::cast_slice(&words)).unwrap();
        println!("{name}: {} words", words.len());
    }
}
