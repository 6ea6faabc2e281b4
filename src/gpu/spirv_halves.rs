//! Halves by bitcast: the tensor-core kernels (`gemm_coop`, `gemm_skinny`) load eight f16 values as one
//! `vec4<u32>` and stage them in workgroup memory as f16. WGSL can only get there through
//! `vec2<f16>(unpack2x16float(word))` (naga rejects `bitcast<vec2<f16>>(u32)`), which naga writes as
//! `UnpackHalf2x16` then `OpFConvert`: two conversions of every half, that NVIDIA's compiler keeps. On an
//! H100 they cost the GEMMs 10–30% (BENCHMARKS.md, "Halves by bitcast"). On Vulkan
//! devices with SPIR-V passthrough this module writes those kernels' SPIR-V itself (naga, with wgpu's
//! options for trusted shaders), turns each such pair into one `OpBitcast` of the word (the same value
//! for every half but NaN payloads), and builds the pipeline from it with the bind group layout the
//! shader declares. `OMNIMOE_NO_BITCAST_HALVES` keeps the plain path (a measuring aid).

use wgpu::naga;

/// Stages whose f16 staging goes through `unpack2x16float`.
pub const STAGES: [&str; 2] = ["gemm_coop", "gemm_skinny"];

/// `GLSL.std.450`'s `UnpackHalf2x16`.
const UNPACK_HALF_2X16: u32 = 62;
const OP_EXT_INST_IMPORT: u32 = 11;
const OP_EXT_INST: u32 = 12;
const OP_TYPE_FLOAT: u32 = 22;
const OP_TYPE_VECTOR: u32 = 23;
const OP_FCONVERT: u32 = 115;
const OP_BITCAST: u32 = 124;

/// Whether `stage` is built here on `device`.
pub(crate) fn applies(device: &wgpu::Device, stage: &str) -> bool {
    STAGES.contains(&stage)
        && device
            .features()
            .contains(wgpu::Features::PASSTHROUGH_SHADERS)
        && device.adapter_info().backend == wgpu::Backend::Vulkan
        && !super::measuring::env_set("OMNIMOE_NO_BITCAST_HALVES")
}

/// Rewrites every `OpFConvert` to a 2-vector of 16-bit floats whose operand is an `UnpackHalf2x16` of a
/// word into an `OpBitcast` of that word; returns how many it rewrote. The unpacks are left for the
/// driver to drop.
pub fn bitcast_halves(words: &mut [u32]) -> usize {
    let mut glsl = None;
    let mut unpacked = std::collections::HashMap::new();
    let mut half = std::collections::HashSet::new();
    let mut half2 = std::collections::HashSet::new();
    let mut rewritten = 0;
    let mut i = 5;
    while i < words.len() {
        let (count, op) = ((words[i] >> 16) as usize, words[i] & 0xffff);
        if count == 0 || i + count > words.len() {
            break;
        }
        let ins = &words[i..i + count];
        match op {
            OP_EXT_INST_IMPORT if string(&ins[2..]) == "GLSL.std.450" => glsl = Some(ins[1]),
            OP_TYPE_FLOAT if ins[2] == 16 => {
                half.insert(ins[1]);
            }
            OP_TYPE_VECTOR if half.contains(&ins[2]) && ins[3] == 2 => {
                half2.insert(ins[1]);
            }
            OP_EXT_INST if Some(ins[3]) == glsl && ins[4] == UNPACK_HALF_2X16 => {
                unpacked.insert(ins[2], ins[5]);
            }
            OP_FCONVERT if half2.contains(&ins[1]) => {
                if let Some(&word) = unpacked.get(&ins[3]) {
                    words[i] = (4 << 16) | OP_BITCAST;
                    words[i + 3] = word;
                    rewritten += 1;
                }
            }
            _ => {}
        }
        i += count;
    }
    rewritten
}

/// A literal string's text (nul-terminated, packed four bytes a word).
fn string(words: &[u32]) -> String {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The compute pipeline of `entry` of `module` with its halves bitcast, or `None` where the module does
/// not validate or has no unpacked halves (the caller builds it the usual way).
pub(crate) fn pipeline(
    device: &wgpu::Device,
    label: &str,
    module: &naga::Module,
    entry: &str,
    constants: &[(&str, f64)],
) -> Option<wgpu::ComputePipeline> {
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(module)
    .ok()?;
    let constants: naga::back::PipelineConstants =
        constants.iter().map(|&(n, v)| (n.to_string(), v)).collect();
    let (module, info) = naga::back::pipeline_constants::process_overrides(
        module,
        &info,
        Some((naga::ShaderStage::Compute, entry)),
        &constants,
    )
    .ok()?;
    let index = module.entry_points.iter().position(|e| e.name == entry)?;
    let size = module.entry_points[index].workgroup_size;
    let uses = info.get_entry_point(index);
    let mut buffers: Vec<(u32, wgpu::BufferBindingType)> = module
        .global_variables
        .iter()
        .filter(|&(handle, _)| !uses[handle].is_empty())
        .filter_map(|(_, var)| {
            let ty = match var.space {
                naga::AddressSpace::Uniform => wgpu::BufferBindingType::Uniform,
                naga::AddressSpace::Storage { access } => wgpu::BufferBindingType::Storage {
                    read_only: !access.contains(naga::StorageAccess::STORE),
                },
                _ => return None,
            };
            Some((var.binding.as_ref()?.binding, ty))
        })
        .collect();
    buffers.sort_by_key(|&(binding, _)| binding);
    // wgpu-hal numbers a layout's Vulkan bindings 0, 1, 2… in entry order (it tells naga so when it
    // writes a shader's SPIR-V itself); binding 5 after 0..=3 is Vulkan's binding 4.
    let binding_map = buffers
        .iter()
        .enumerate()
        .map(|(i, &(binding, _))| {
            let at = naga::ResourceBinding { group: 0, binding };
            let info = naga::back::spv::BindingInfo {
                descriptor_set: 0,
                binding: i as u32,
                binding_array_size: None,
            };
            (at, info)
        })
        .collect();
    // wgpu's options for a trusted shader (no bounds checks, loop bounding or division checks) and no
    // zeroing of workgroup memory, as `pipelines::build` asks for.
    let unchecked = naga::proc::BoundsCheckPolicy::Unchecked;
    let options = naga::back::spv::Options {
        lang_version: (1, 3),
        bounds_check_policies: naga::proc::BoundsCheckPolicies {
            index: unchecked,
            buffer: unchecked,
            image_load: unchecked,
            binding_array: unchecked,
        },
        zero_initialize_workgroup_memory: naga::back::spv::ZeroInitializeWorkgroupMemoryMode::None,
        force_loop_bounding: false,
        emit_int_div_checks: false,
        binding_map,
        ..Default::default()
    };
    let stage = naga::back::spv::PipelineOptions {
        shader_stage: naga::ShaderStage::Compute,
        entry_point: entry.to_string(),
    };
    let mut words = naga::back::spv::write_vec(&module, &info, &options, Some(&stage)).ok()?;
    if bitcast_halves(&mut words) == 0 {
        return None;
    }
    // SAFETY: naga's SPIR-V of a module that validated, with the bindings its globals declare, for a stage
    // in TRUSTED (its indexing checked in the shader against sizes the host binds exactly), with one
    // change that keeps every value: an f16 pair's round trip through f32 replaced by the
    // reinterpretation of its word.
    Some(unsafe {
        super::passthrough::pipeline(
            device,
            label,
            words,
            entry,
            (size[0], size[1], size[2]),
            &buffers,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPIR-V of `code` as [`pipeline`] writes it.
    fn spirv(code: &str) -> Vec<u32> {
        let module = naga::front::wgsl::parse_str(code).unwrap();
        let info = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        )
        .validate(&module)
        .unwrap();
        let options = naga::back::spv::Options {
            lang_version: (1, 3),
            ..Default::default()
        };
        naga::back::spv::write_vec(&module, &info, &options, None).unwrap()
    }

    /// (opcode, operands) of every instruction.
    fn instructions(words: &[u32]) -> Vec<(u32, Vec<u32>)> {
        let mut out = Vec::new();
        let mut i = 5;
        while i < words.len() {
            let count = (words[i] >> 16) as usize;
            out.push((words[i] & 0xffff, words[i + 1..i + count].to_vec()));
            i += count;
        }
        out
    }

    #[test]
    fn unpacked_halves_become_bitcasts_of_their_words() {
        let code = "enable f16;
            @group(0) @binding(0) var<storage, read> a: array<u32>;
            @group(0) @binding(1) var<storage, read_write> b: array<vec2<f16>>;
            @group(0) @binding(2) var<storage, read_write> c: array<vec2<f32>>;
            @compute @workgroup_size(1) fn main() {
                let w = a[0];
                b[0] = vec2<f16>(unpack2x16float(w));
                b[1] = vec2<f16>(unpack2x16float(a[1]));
                c[0] = unpack2x16float(a[2]);
            }";
        let mut words = spirv(code);
        let before = instructions(&words);
        let unpacks: Vec<(u32, u32)> = before
            .iter()
            .filter(|(op, o)| *op == OP_EXT_INST && o[3] == UNPACK_HALF_2X16)
            .map(|(_, o)| (o[1], o[4]))
            .collect();
        assert_eq!(unpacks.len(), 3);
        assert_eq!(bitcast_halves(&mut words), 2);
        let after = instructions(&words);
        // The two conversions to f16 are now bitcasts of the unpacked words; the f32 use stays.
        let casts: Vec<u32> = after
            .iter()
            .filter(|(op, _)| *op == OP_BITCAST)
            .map(|(_, o)| o[2])
            .collect();
        let words_of: Vec<u32> = unpacks.iter().map(|&(_, w)| w).collect();
        assert_eq!(casts.len(), 2);
        assert!(casts.iter().all(|w| words_of.contains(w)));
        assert!(!after.iter().any(|(op, _)| *op == OP_FCONVERT));
        assert_eq!(before.len(), after.len());
        // Nothing to rewrite the second time.
        assert_eq!(bitcast_halves(&mut words), 0);
    }

    #[test]
    fn the_tensor_core_kernels_have_halves_to_bitcast() {
        use super::super::pipelines::{preprocess, source, Variant};
        let v = Variant::storage(true)
            .with("COOP")
            .with("SUBGROUP")
            .with("SMEM2")
            .with("DIRECT");
        let mut words = spirv(&preprocess(source("gemm_coop"), &v));
        assert!(bitcast_halves(&mut words) >= 4);
    }
}

/// The rewrite on a device (lavapipe in CI): a kernel that stages words as f16 pairs, built through
/// [`pipeline`] and through wgpu's own path, gives every half's bits back (NaNs aside), with a gap in
/// its binding numbers (the Vulkan numbering the layout implies).
#[cfg(test)]
mod on_device {
    use super::super::buffers;
    use super::super::Context;
    use super::*;

    const CODE: &str = "enable f16;
        @group(0) @binding(0) var<storage, read> words: array<u32>;
        @group(0) @binding(2) var<storage, read_write> halves: array<vec2<f16>>;
        @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
            halves[id.x] = vec2<f16>(unpack2x16float(words[id.x]));
        }";

    fn run(ctx: &Context, pipeline: &wgpu::ComputePipeline, words: &[u32]) -> Vec<u32> {
        let input = buffers::upload(ctx, "words", bytemuck::cast_slice(words));
        let output = buffers::storage(ctx, "halves", words.len() as u64 * 4);
        let group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: input.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: output.as_entire_binding(),
                },
            ],
        });
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups(words.len() as u32 / 64, 1, 1);
        }
        ctx.queue.submit([encoder.finish()]);
        pollster::block_on(buffers::read_u32(ctx, &output, 0, words.len())).unwrap()
    }

    #[test]
    fn the_bitcast_build_keeps_every_half() {
        let ctx = Context::new_blocking().expect("a GPU adapter (lavapipe in CI)");
        if ctx.info.backend != wgpu::Backend::Vulkan || !ctx.caps.shader_f16 {
            // The path exists on Vulkan only, for f16 kernels.
            eprintln!("not Vulkan with f16: nothing to test");
            return;
        }
        assert!(
            ctx.device
                .features()
                .contains(wgpu::Features::PASSTHROUGH_SHADERS),
            "Vulkan without SPIR-V passthrough"
        );
        // Zeros, ±1, the smallest and largest subnormals and normals, infinities, and a spread of others.
        let special = [
            0x0000_0000u32,
            0x8000_3c00,
            0x0001_03ff,
            0x0400_7bff,
            0xfc00_7c00,
            0x3555_c001,
        ];
        let words: Vec<u32> = (0..256u32)
            .map(|i| {
                let w = special[i as usize % special.len()]
                    ^ (i.wrapping_mul(0x0101_0101) & 0x3bff_3bff);
                // No NaNs (exponent all ones with a mantissa): their payloads may change on the way.
                let fix = |h: u32| if h & 0x7c00 == 0x7c00 { h & 0xfc00 } else { h };
                fix(w & 0xffff) | (fix(w >> 16) << 16)
            })
            .collect();
        let module = naga::front::wgsl::parse_str(CODE).unwrap();
        let bitcast =
            pipeline(&ctx.device, "halves", &module, "main", &[]).expect("a bitcast build");
        let plain = ctx
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: None,
                layout: None,
                module: &ctx
                    .device
                    .create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: None,
                        source: wgpu::ShaderSource::Wgsl(CODE.into()),
                    }),
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
        assert_eq!(run(&ctx, &bitcast, &words), words);
        assert_eq!(run(&ctx, &plain, &words), words);
    }
}
