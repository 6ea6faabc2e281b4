//! NVIDIA's cooperative-matrix-2 Vulkan extension (`VK_NV_cooperative_matrix2`): workgroup-scope matrices
//! loaded through tensor layouts, so the driver stages GEMM operands itself. WGSL cannot express it, so
//! `shaders/spirv/gemm_cm2.comp` is GLSL compiled ahead of time (`cargo xtask spirv`) and handed to the
//! driver through wgpu's SPIR-V passthrough.
//!
//! wgpu does not enable the extension: where the adapter offers it, [`open`] creates the Vulkan device
//! itself through wgpu-hal with the extension and its features added, then wraps it as a wgpu device
//! (the same features and limits as any other omnimoe device, plus `PASSTHROUGH_SHADERS`).
//! `OMNIMOE_NO_CM2` keeps it off (for measuring the WGSL kernels on the same adapter).

use std::ffi::{c_void, CStr};

use ash::vk;
use wgpu::hal::api::Vulkan;

use super::pipelines::Variant;

const EXTENSION: &CStr = c"VK_NV_cooperative_matrix2";
/// `VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_2_FEATURES_NV` (ash 0.38 predates the extension).
const FEATURES_TYPE: i32 = 1_000_593_000;
/// `VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_2_PROPERTIES_NV`.
const PROPERTIES_TYPE: i32 = 1_000_593_002;

/// `VkPhysicalDeviceCooperativeMatrix2FeaturesNV`: workgroup scope, flexible dimensions, reductions,
/// conversions, per-element operations, tensor addressing, block loads.
#[repr(C)]
struct Features {
    s_type: vk::StructureType,
    p_next: *mut c_void,
    flags: [vk::Bool32; 7],
}

const WORKGROUP_SCOPE: usize = 0;
const FLEXIBLE_DIMENSIONS: usize = 1;
const TENSOR_ADDRESSING: usize = 5;
/// The features `gemm_cm2` uses: the only ones enabled.
const NEEDED: [usize; 3] = [WORKGROUP_SCOPE, FLEXIBLE_DIMENSIONS, TENSOR_ADDRESSING];

/// `VkPhysicalDeviceCooperativeMatrix2PropertiesNV`.
#[repr(C)]
struct Properties {
    s_type: vk::StructureType,
    p_next: *mut c_void,
    workgroup_scope_max_workgroup_size: u32,
    flexible_dimensions_max_dimension: u32,
    workgroup_scope_reserved_shared_memory: u32,
}

/// Whether `adapter` offers the extension with what `gemm_cm2` needs (workgroup scope for its
/// workgroups, flexible dimensions, tensor addressing) and wgpu offers SPIR-V passthrough; never with
/// `OMNIMOE_NO_CM2` set.
pub(crate) fn offered(adapter: &wgpu::Adapter) -> bool {
    supported(adapter).is_some()
}

fn supported(adapter: &wgpu::Adapter) -> Option<()> {
    if super::measuring::env_set("OMNIMOE_NO_CM2")
        || !adapter
            .features()
            .contains(wgpu::Features::PASSTHROUGH_SHADERS)
    {
        return None;
    }
    // SAFETY: only queries of the adapter's physical device; the handle outlives them.
    let hal = unsafe { adapter.as_hal::<Vulkan>() }?;
    let instance = hal.shared_instance().raw_instance();
    let device = hal.raw_physical_device();
    // SAFETY: a valid physical device of this instance.
    let extensions = unsafe { instance.enumerate_device_extension_properties(device) }.ok()?;
    if !extensions
        .iter()
        .any(|e| e.extension_name_as_c_str() == Ok(EXTENSION))
    {
        return None;
    }
    let mut features = Features {
        s_type: vk::StructureType::from_raw(FEATURES_TYPE),
        p_next: std::ptr::null_mut(),
        flags: [vk::FALSE; 7],
    };
    let mut features2 = vk::PhysicalDeviceFeatures2 {
        p_next: (&mut features as *mut Features).cast(),
        ..Default::default()
    };
    let mut properties = Properties {
        s_type: vk::StructureType::from_raw(PROPERTIES_TYPE),
        p_next: std::ptr::null_mut(),
        workgroup_scope_max_workgroup_size: 0,
        flexible_dimensions_max_dimension: 0,
        workgroup_scope_reserved_shared_memory: 0,
    };
    let mut properties2 = vk::PhysicalDeviceProperties2 {
        p_next: (&mut properties as *mut Properties).cast(),
        ..Default::default()
    };
    // SAFETY: the extension is offered, so the driver knows both structures; each chain holds one.
    unsafe {
        instance.get_physical_device_features2(device, &mut features2);
        instance.get_physical_device_properties2(device, &mut properties2);
    }
    let ok = NEEDED.iter().all(|&i| features.flags[i] == vk::TRUE)
        && properties.workgroup_scope_max_workgroup_size >= WORKGROUP;
    ok.then_some(())
}

/// Opens `desc`'s device on `adapter` with the extension enabled, where [`offered`]; `None` where not
/// (the caller opens it the usual way). `desc.required_features` gains `PASSTHROUGH_SHADERS`.
pub(crate) fn open(
    adapter: &wgpu::Adapter,
    desc: &wgpu::DeviceDescriptor<'_>,
) -> Option<Result<(wgpu::Device, wgpu::Queue), String>> {
    if !offered(adapter) {
        return None;
    }
    // Only the features `gemm_cm2` uses (all seven enabled measured the same).
    let mut flags = [vk::FALSE; 7];
    for i in NEEDED {
        flags[i] = vk::TRUE;
    }
    let mut desc = desc.clone();
    desc.required_features |= wgpu::Features::PASSTHROUGH_SHADERS;
    // SAFETY: as in `supported`: a handle to the adapter's physical device, used while it lives.
    let hal = unsafe { adapter.as_hal::<Vulkan>() }?;
    // Lives until the device is created (inside `open_with_callback`).
    let mut features = Box::new(Features {
        s_type: vk::StructureType::from_raw(FEATURES_TYPE),
        p_next: std::ptr::null_mut(),
        flags,
    });
    let chained: *mut Features = &mut *features;
    let callback = move |args: wgpu::hal::vulkan::CreateDeviceCallbackArgs<'_, '_, '_>| {
        args.extensions.push(EXTENSION);
        // SAFETY: `chained` points into the box above, alive until this function returns; the structure
        // goes at the head of the create info's chain, in front of what was there.
        unsafe {
            (*chained).p_next = args.create_info.p_next as *mut c_void;
        }
        args.create_info.p_next = chained as *const c_void;
    };
    // SAFETY: the extension and every feature enabled are ones the physical device reports; nothing of
    // wgpu's own is removed.
    let opened = unsafe {
        hal.open_with_callback(
            desc.required_features,
            &desc.required_limits,
            &desc.memory_hints,
            Some(Box::new(callback)),
        )
    };
    drop(hal);
    let result = match opened {
        // SAFETY: the device was opened on this adapter with `desc`'s features and limits.
        Ok(device) => {
            unsafe { adapter.create_device_from_hal(device, &desc) }.map_err(|e| e.to_string())
        }
        Err(e) => Err(format!("{e}")),
    };
    drop(features);
    Some(result)
}

/// The SPIR-V of each build of `shaders/spirv/gemm_cm2.comp`, by the names of `variants.txt`.
const BUILDS: &[(&str, &[u8])] = &[
    (
        "gemm_cm2_square",
        include_bytes!("../../shaders/spirv/gemm_cm2_square.spv"),
    ),
    (
        "gemm_cm2_square_add",
        include_bytes!("../../shaders/spirv/gemm_cm2_square_add.spv"),
    ),
    (
        "gemm_cm2_square_add16",
        include_bytes!("../../shaders/spirv/gemm_cm2_square_add16.spv"),
    ),
];

/// Invocations per workgroup of every build (`variants.txt`): four subgroups of 32.
const WORKGROUP: u32 = 128;

/// The build a `gemm_cm2` variant runs: epilogue `ADD` (f16 output with `out_f16`), else plain.
fn build_name(variant: &Variant) -> &'static str {
    match (variant.flags.contains("ADD"), variant.out_f16) {
        (false, _) => "gemm_cm2_square",
        (true, false) => "gemm_cm2_square_add",
        (true, true) => "gemm_cm2_square_add16",
    }
}

/// The compute pipeline of a `gemm_cm2` variant, with the bind group layout of `gemm_epilogue.wgsl`
/// (0 parameters, 1 A, 2 B, 3 C, 4 D with ADD). Only on devices [`open`] made.
pub(crate) fn pipeline(device: &wgpu::Device, variant: &Variant) -> wgpu::ComputePipeline {
    let name = build_name(variant);
    let bytes = BUILDS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no SPIR-V build {name}"))
        .1;
    let words: Vec<u32> = bytemuck::pod_collect_to_vec(bytes);
    let read = wgpu::BufferBindingType::Storage { read_only: true };
    let mut buffers = vec![
        (0, wgpu::BufferBindingType::Uniform),
        (1, read),
        (2, read),
        (3, wgpu::BufferBindingType::Storage { read_only: false }),
    ];
    if variant.flags.contains("ADD") {
        buffers.push((4, read));
    }
    // SAFETY: SPIR-V compiled by glslang from shaders/spirv/gemm_cm2.comp for a device with the
    // extension (only devices `open` made dispatch this stage), with these bindings; it reads and writes
    // only inside the tensor layouts' dimensions, which are the bound matrices' (M, N, K from the
    // parameters).
    unsafe {
        super::passthrough::pipeline(
            device,
            "gemm_cm2",
            words,
            "main",
            (WORKGROUP, 1, 1),
            &buffers,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded SPIR-V was compiled from the GLSL and variant list as they are now: `cargo xtask
    /// spirv` records their hash in `SOURCES_HASH`, and a change to either without recompiling fails here.
    #[test]
    fn spirv_builds_match_their_sources() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders/spirv");
        let mut hash = fnv::FnvHasher::default();
        for name in ["gemm_cm2.comp", "variants.txt"] {
            std::hash::Hasher::write(&mut hash, &std::fs::read(dir.join(name)).unwrap());
        }
        let recorded = std::fs::read_to_string(dir.join("SOURCES_HASH")).unwrap();
        assert_eq!(
            recorded.trim(),
            format!("{:016x}", std::hash::Hasher::finish(&hash)),
            "shaders/spirv changed since `cargo xtask spirv` last ran"
        );
        // Every build the list names is embedded, and nothing else.
        let list = std::fs::read_to_string(dir.join("variants.txt")).unwrap();
        let listed: Vec<&str> = list
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        let embedded: Vec<&str> = BUILDS.iter().map(|b| b.0).collect();
        assert_eq!(listed, embedded);
        for (name, bytes) in BUILDS {
            assert_eq!(bytes.len() % 4, 0, "{name}");
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(bytes);
            assert_eq!(words[0], 0x0723_0203, "{name}: not SPIR-V");
            // The workgroup size the pipeline declares is the one compiled in (OpExecutionMode
            // LocalSize: opcode 16, 6 words, mode 17).
            let local = words
                .windows(6)
                .find(|w| w[0] == (6 << 16) | 16 && w[2] == 17)
                .map(|w| w[3]);
            assert_eq!(local, Some(WORKGROUP), "{name}");
        }
    }

    /// Each epilogue of the GEMM maps to its build.
    #[test]
    fn variants_name_their_builds() {
        let plain = Variant::storage(true);
        assert_eq!(build_name(&plain), "gemm_cm2_square");
        let add = Variant::storage(true).with("ADD");
        assert_eq!(build_name(&add), "gemm_cm2_square_add");
        let mut add16 = add.clone();
        add16.out_f16 = true;
        assert_eq!(build_name(&add16), "gemm_cm2_square_add16");
    }
}
