//! Every shader variant the layer can build parses, validates and translates to SPIR-V with naga.

use omnimoe::gpu::pipelines::{preprocess, source};
use omnimoe::gpu::variants::all_variants;

#[test]
fn every_shader_variant_validates_in_naga() {
    let variants = all_variants();
    assert!(variants.len() > 20);
    for (stage, entry, variant) in variants {
        let code = preprocess(source(stage), &variant);
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
        let options = naga::back::spv::Options::default();
        let pipeline = naga::back::spv::PipelineOptions {
            shader_stage: naga::ShaderStage::Compute,
            entry_point: entry.to_string(),
        };
        naga::back::spv::write_vec(&module, &info, &options, Some(&pipeline))
            .unwrap_or_else(|e| panic!("{stage} {variant:?}: SPIR-V: {e}"));
    }
}
